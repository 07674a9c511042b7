//! docs/migrations.md lists every rule with its class: the table must match
//! the code.

use daytwo_migrate::rules::all_rules;

#[test]
fn every_rule_is_documented_with_its_class_in_docs_migrations_md() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/migrations.md"
    ))
    .expect("docs/migrations.md");
    let mut missing = Vec::new();
    for rule in all_rules() {
        let row = format!("| `{}` | {} |", rule.id, rule.class);
        if !doc.contains(&row) {
            missing.push(row);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/migrations.md lacks rows starting with:\n{}",
        missing.join("\n")
    );
}

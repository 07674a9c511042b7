//! `[migrations]` and `[env.NAME.migrations]`: the directory resolved
//! against the spec, the database URL interpolated and overlaid per env.

use crate::bad_spec::render;
use daytwo_spec::{MigrationsSpec, code, parse_str};
use std::path::Path;

const PROCESS: &str =
    "[app]\nname = \"shop\"\n\n[process.web]\ncommand = \"python3 app.py\"\nhttp = true\n\n";

fn lookup(name: &str) -> Option<String> {
    (name == "DATABASE_URL").then(|| "sqlite://data/shop.db".to_string())
}

fn load(body: &str) -> Result<daytwo_spec::Spec, daytwo_spec::SpecError> {
    parse_str(
        &format!("{PROCESS}{body}"),
        Path::new("/srv/shop/daytwo.toml"),
        &lookup,
    )
    .map(|l| l.spec)
}

#[test]
fn migrations_dir_resolves_against_the_spec_and_database_is_interpolated() {
    let spec = load(
        "[migrations]\ndir = \"db/migrations\"\ndatabase = \"${DATABASE_URL}\"\n\n[env.dev]\n",
    )
    .unwrap();
    let expected = MigrationsSpec {
        dir: "/srv/shop/db/migrations".into(),
        database: Some("sqlite://data/shop.db".into()),
    };
    assert_eq!(spec.migrations.as_ref(), Some(&expected));
    assert_eq!(
        spec.migrations_for("dev"),
        Some(&expected),
        "a declared env inherits the base"
    );
    assert_eq!(spec.migrations_for("undeclared"), Some(&expected));
}

#[test]
fn an_env_overlay_replaces_the_database_key_by_key() {
    let spec = load(
        "[migrations]\ndir = \"migrations\"\n\n[env.prod]\n[env.prod.migrations]\ndatabase = \"postgres://app@db:5432/shop\"\n",
    )
    .unwrap();
    assert_eq!(spec.migrations_for("dev").unwrap().database, None);
    let prod = spec.migrations_for("prod").unwrap();
    assert_eq!(prod.dir, Path::new("/srv/shop/migrations"));
    assert_eq!(
        prod.database.as_deref(),
        Some("postgres://app@db:5432/shop")
    );
}

#[test]
fn a_spec_without_migrations_has_none() {
    let spec = load("[env.dev]\n").unwrap();
    assert_eq!(spec.migrations, None);
    assert_eq!(spec.migrations_for("dev"), None);
}

#[test]
fn migrations_without_dir_and_a_bad_database_url_are_reported() {
    let error = load("[migrations]\ndatabase = \"mysql://root@db/shop\"\n").unwrap_err();
    let diagnostics = error.diagnostics();
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [code::MISSING_KEY, code::INVALID_DATABASE_URL],
        "{}",
        render(&error)
    );
    insta::assert_snapshot!(render(&error));
}

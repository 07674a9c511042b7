//! `do-block` (unknown): a DO block runs procedural code daytwo cannot classify.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;

pub(crate) const RULE: Rule = Rule {
    id: "do-block",
    class: Class::Unknown,
    why: "a DO block runs procedural code daytwo cannot classify",
    recipe: "write the change as plain DDL statements, or acknowledge it with -- daytwo:allow do-block reason=\"…\"",
};

pub(crate) fn check(_target: &Target<'_>, ctx: &Context<'_>) -> Option<Verdict> {
    let first = ctx.text.split_whitespace().next()?;
    first
        .eq_ignore_ascii_case("DO")
        .then(|| Verdict::new(&RULE, "runs a DO block"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_do_block() {
        let got = classify(
            "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$",
            Dialect::Postgres,
        );
        assert_eq!(got, (Class::Unknown, "do-block".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("DO $$ BEGIN PERFORM 1; END $$;", Dialect::Postgres));
    }
}

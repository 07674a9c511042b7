//! `unparsable` (unknown): the statement could not be parsed, so its effect on the running release is unknown.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;

pub(crate) const RULE: Rule = Rule {
    id: "unparsable",
    class: Class::Unknown,
    why: "the statement could not be parsed, so its effect on the running release is unknown",
    recipe: "check the syntax for the dialect, or acknowledge it with -- daytwo:allow unparsable reason=\"…\"",
};

pub(crate) fn check(target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    let Target::Unparsed { error } = target else {
        return None;
    };
    Some(Verdict::new(
        &RULE,
        format!("could not be parsed ({error})"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_unparsable() {
        let got = classify("ALTER TABLE users FROBNICATE", Dialect::Postgres);
        assert_eq!(got, (Class::Unknown, "unparsable".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("CREATE TABLE (;", Dialect::Postgres));
    }
}

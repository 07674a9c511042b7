//! `unclassified` (unknown): no rule recognises this statement, so its effect on the running release is unknown.

use super::{Context, Rule, Target, Verdict};
use crate::finding::Class;

pub(crate) const RULE: Rule = Rule {
    id: "unclassified",
    class: Class::Unknown,
    why: "no rule recognises this statement, so its effect on the running release is unknown",
    recipe: "acknowledge it with -- daytwo:allow unclassified reason=\"…\" once you checked it is safe for the running release",
};

pub(crate) fn check(_target: &Target<'_>, _ctx: &Context<'_>) -> Option<Verdict> {
    Some(Verdict::new(&RULE, "is not covered by any rule"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::finding::Class;
    use crate::rules::snapshot::{classify, render};

    #[test]
    fn classifies_as_unclassified() {
        let got = classify("TRUNCATE visits", Dialect::Postgres);
        assert_eq!(got, (Class::Unknown, "unclassified".to_string()));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render("TRUNCATE visits;", Dialect::Postgres));
    }
}

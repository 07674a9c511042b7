//! Python: `logging` with `%s`/`%(name)s`, f-strings, `str.format`,
//! structlog events, the default `LEVEL:logger:message` format; a
//! virtualenv copy and a generated `_pb2` module with the same templates.

use crate::support::{ADA, BOB, Case, Repo, check};

const BILLING: &str = r#"import logging
import structlog

log = logging.getLogger(__name__)
events = structlog.get_logger()


class Billing:
    def charge(self, card, amount):
        log.info("charging card ending %s for %.2f EUR", card.last4, amount)
        if amount > self.limit:
            log.warning(
                "charge of %(amount)s over limit %(limit)s",
                {"amount": amount, "limit": self.limit},
            )
        return self.gateway.charge(card, amount)

    def refund(self, charge_id):
        log.info(f"refund {charge_id} queued")

    def sign_in(self, user):
        events.info("user signed in", user_id=user.id)
"#;

const OLD_BILLING: &str = r#"import logging

def charge(card):
    logging.info("charging card ending %s", card)
"#;

const REPORTS: &str = r#"import logging

log = logging.getLogger("reports")


def export_report(rows, path, flags):
    if flags.get_boolean_value("reports-v2", False):
        print(f"exported {len(rows)} rows to {path!r}")
    for n in range(3):
        pass
    log.error("export failed after {} retries".format(n))
"#;

const COPY: &str = r#"import logging
def charge(card, amount):
    logging.info("charging card ending %s for %.2f EUR", card, amount)
    logging.error("export failed after {} retries".format(3))
"#;

#[test]
fn python_lines_map_to_their_source_line_with_function_blame_and_flags() {
    let repo = Repo::new();
    repo.write("app/billing.py", BILLING)
        .write("app/old_billing.py", OLD_BILLING)
        .write("app/billing_pb2.py", COPY)
        .write(".venv/lib/python3.12/site-packages/stripe/api.py", COPY);
    let ada = repo.commit(ADA, "Billing");
    repo.write("app/reports.py", REPORTS);
    let bob = repo.commit(BOB, "Reports behind reports-v2");
    let index = repo.index(&["reports-v2"]);
    let cases = [
        Case {
            line: "INFO:app.billing:charging card ending 4242 for 19.99 EUR",
            file: "app/billing.py",
            needle: "charging card ending %s for",
            function: Some("charge"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "WARNING:app.billing:charge of 120.0 over limit 100",
            file: "app/billing.py",
            needle: "over limit",
            function: Some("charge"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "[2026-11-27 04:00:00,123] INFO refund ch_3PzK queued",
            file: "app/billing.py",
            needle: "queued",
            function: Some("refund"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: r#"{"event": "user signed in", "user_id": 7, "level": "info", "timestamp": "2026-11-27T04:00:00Z"}"#,
            file: "app/billing.py",
            needle: "user signed in",
            function: Some("sign_in"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "charging card ending 1111",
            file: "app/old_billing.py",
            needle: "charging card ending",
            function: Some("charge"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "exported 12 rows to '/tmp/r.csv'",
            file: "app/reports.py",
            needle: "exported",
            function: Some("export_report"),
            commit: "bob",
            flags: &["reports-v2"],
        },
        Case {
            line: "ERROR:reports:export failed after 3 retries",
            file: "app/reports.py",
            needle: "export failed",
            function: Some("export_report"),
            commit: "bob",
            flags: &["reports-v2"],
        },
    ];
    check(
        &repo,
        &index,
        &cases,
        &[("ada", &ada, ADA), ("bob", &bob, BOB)],
    );
}

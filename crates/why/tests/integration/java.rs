//! Java (and Kotlin, read as Java): SLF4J `{}`, `String.format`/`printf`
//! with `%n`, logback's `logger - message` output, a feature-flag check, a
//! Kotlin string template; a `third_party` copy and a shorter look-alike.

use crate::support::{ADA, BOB, Case, Repo, check};

const CHECKOUT: &str = r#"package shop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class Checkout {
    private static final Logger log = LoggerFactory.getLogger(Checkout.class);

    public Receipt charge(Order order) throws PaymentException {
        log.info("charging card ending {} for order {}", order.last4(), order.id());
        if (flags.isEnabled("one-click")) {
            log.debug("one-click checkout for user {}", order.userId());
        }
        return gateway.charge(order);
    }

    private void audit(Order order, String reason) {
        log.warn(String.format("order %s flagged for review: %s", order.id(), reason));
    }
}
"#;

const LEGACY: &str = r#"package shop;

public class LegacyCheckout {
    public void charge(Order order) {
        log.info("charging card {}", order.last4());
    }
}
"#;

const INVENTORY: &str = r#"package shop;

public class Inventory {
    private static final Logger LOG = LoggerFactory.getLogger(Inventory.class);

    public void reserve(Item item, int qty) {
        if (!store.take(item, qty)) {
            LOG.error("reservation of {} x {} failed", qty, item.sku());
            return;
        }
        System.out.printf("reserved %d of %s%n", qty, item.sku());
    }
}
"#;

const NOTIFY: &str = r#"package shop

class Notifier(private val mail: Mail) {
    fun send(user: User, orderId: String) {
        logger.info("sending ${user.email} a receipt for $orderId")
        mail.send(user.email)
    }
}
"#;

const COPY: &str = r#"public class Checkout {
    public void charge(Order o) {
        log.info("charging card ending {} for order {}", o.last4(), o.id());
        LOG.error("reservation of {} x {} failed", 1, 2);
    }
}
"#;

#[test]
fn java_lines_map_to_their_source_line_with_function_blame_and_flags() {
    let repo = Repo::new();
    repo.write("src/main/java/shop/Checkout.java", CHECKOUT)
        .write("src/main/java/shop/LegacyCheckout.java", LEGACY)
        .write("third_party/acme/Checkout.java", COPY)
        .write("build/generated/sources/Checkout.java", COPY);
    let ada = repo.commit(ADA, "Checkout");
    repo.write("src/main/java/shop/Inventory.java", INVENTORY)
        .write("src/main/kotlin/shop/Notify.kt", NOTIFY);
    let bob = repo.commit(BOB, "Inventory and receipts");
    let index = repo.index(&["one-click"]);
    let cases = [
        Case {
            line: "04:00:00.123 [main] INFO  shop.Checkout - charging card ending 4242 for order 17",
            file: "src/main/java/shop/Checkout.java",
            needle: "charging card ending",
            function: Some("charge"),
            commit: "ada",
            flags: &["one-click"],
        },
        Case {
            line: "04:00:00.124 [main] DEBUG shop.Checkout - one-click checkout for user u-9",
            file: "src/main/java/shop/Checkout.java",
            needle: "one-click checkout",
            function: Some("charge"),
            commit: "ada",
            flags: &["one-click"],
        },
        Case {
            line: "WARN order 17 flagged for review: chargeback",
            file: "src/main/java/shop/Checkout.java",
            needle: "flagged for review",
            function: Some("audit"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "charging card 4242",
            file: "src/main/java/shop/LegacyCheckout.java",
            needle: "charging card",
            function: Some("charge"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "2026-11-27 04:00:00.125 ERROR [pool-1] shop.Inventory - reservation of 2 x SKU-1 failed",
            file: "src/main/java/shop/Inventory.java",
            needle: "reservation of",
            function: Some("reserve"),
            commit: "bob",
            flags: &[],
        },
        Case {
            line: "reserved 2 of SKU-1",
            file: "src/main/java/shop/Inventory.java",
            needle: "reserved %d",
            function: Some("reserve"),
            commit: "bob",
            flags: &[],
        },
        Case {
            line: "sending ada@example.com a receipt for o-17",
            file: "src/main/kotlin/shop/Notify.kt",
            needle: "a receipt for",
            function: Some("send"),
            commit: "bob",
            flags: &[],
        },
    ];
    check(
        &repo,
        &index,
        &cases,
        &[("ada", &ada, ADA), ("bob", &bob, BOB)],
    );
}

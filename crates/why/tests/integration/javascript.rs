//! JavaScript/TypeScript: template literals, console format strings, pino
//! message fields, an arrow function and a class method; `node_modules`,
//! a minified bundle and a concatenating look-alike in another file.

use crate::support::{ADA, BOB, Case, Repo, check};

const SHIP: &str = r#"import { logger } from './log';

export async function ship(order: Order, carrier: string): Promise<void> {
  console.log(`shipping order ${order.id} via ${carrier}`);
  if (await client.getBooleanValue('express-shipping', false)) {
    logger.info(`express label printed for ${order.id}`);
  }
}

export const cancel = async (order: Order, reason: string) => {
  logger.warn('cancelling order %s: %s', order.id, reason);
};
"#;

const SERVER: &str = r#"const express = require('express');

function start(app, port) {
  app.listen(port, () => console.log(`server listening on http://localhost:${port}`));
}

class Cart {
  add(item) {
    this.log.debug({ msg: 'item added to cart', sku: item.sku });
    this.items.push(item);
  }
}

module.exports = { start, Cart };
"#;

const LEGACY: &str = r#"function ship(id) {
  console.log('shipping order ' + id);
}
"#;

const PAYMENTS: &str = r#"const MAX = 5;

export function retryPayment(id: string, attempt: number): void {
  logger.error(`payment ${id} failed, retry ${attempt} of ${MAX}`);
}
"#;

const COPY: &str = "function s(o,c){console.log(`shipping order ${o} via ${c}`);console.log(`server listening on http://localhost:${p}`)}\n";

#[test]
fn javascript_lines_map_to_their_source_line_with_function_blame_and_flags() {
    let repo = Repo::new();
    repo.write("web/src/ship.ts", SHIP)
        .write("web/src/server.js", SERVER)
        .write("web/src/legacy.js", LEGACY)
        .write("web/node_modules/shipit/index.js", COPY)
        .write("web/public/app.min.js", COPY);
    let ada = repo.commit(ADA, "Shipping and cart");
    repo.write("web/src/payments.ts", PAYMENTS);
    let bob = repo.commit(BOB, "Payment retries");
    let index = repo.index(&["express-shipping"]);
    let cases = [
        Case {
            line: "shipping order 17 via ups",
            file: "web/src/ship.ts",
            needle: "shipping order ${order.id}",
            function: Some("ship"),
            commit: "ada",
            flags: &["express-shipping"],
        },
        Case {
            line: "express label printed for 17",
            file: "web/src/ship.ts",
            needle: "express label",
            function: Some("ship"),
            commit: "ada",
            flags: &["express-shipping"],
        },
        Case {
            line: "cancelling order 17: customer request",
            file: "web/src/ship.ts",
            needle: "cancelling order",
            function: Some("cancel"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "04:00:00.123 dev/web.1 | server listening on http://localhost:3000",
            file: "web/src/server.js",
            needle: "server listening",
            function: Some("start"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: r#"{"level":20,"time":1764216000000,"pid":7,"hostname":"h","msg":"item added to cart","sku":"A1"}"#,
            file: "web/src/server.js",
            needle: "item added to cart",
            function: Some("add"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "shipping order 18",
            file: "web/src/legacy.js",
            needle: "shipping order",
            function: Some("ship"),
            commit: "ada",
            flags: &[],
        },
        Case {
            line: "payment p_9 failed, retry 2 of 5",
            file: "web/src/payments.ts",
            needle: "failed, retry",
            function: Some("retryPayment"),
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

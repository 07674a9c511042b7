//! `shop`: daytwo's example app. A small shop (a product catalogue and
//! orders on a SQLite file) with two process types:
//!
//! ```text
//! shop [web]   HTTP on 127.0.0.1:$PORT ── routes ── db (SQLite, WAL) ──┐
//! shop worker  every few seconds: fulfil pending orders ── db ─────────┘ same file
//! ```
//!
//! Both log one JSON object per line to stdout (`log`) and stop gracefully on
//! SIGTERM or SIGINT (`shutdown`). Configuration comes from env vars only
//! (`config`); `shop --help` lists them. The web process reads the
//! `analytics` feature flag over OFREP (`flags`); while it is on, every
//! request is recorded in memory and never evicted (`analytics`: the
//! story's leak, on purpose), and per-minute counts go to the
//! `analytics_rollups` table. The schema comes from `migrations/`, which
//! daytwo applies before the shop starts; the shop creates no table.

mod analytics;
mod config;
mod db;
mod error;
mod flags;
mod log;
mod orders;
mod products;
mod routes;
mod shutdown;
mod web;
mod worker;

use config::{ConfigError, WebConfig, WorkerConfig};
use shutdown::StopSignals;
use std::process::ExitCode;

/// The app's name, as `/whoami` reports it.
pub const APP_NAME: &str = "shop";
/// Worker threads of the async runtime; SQLite work runs on the blocking pool.
const RUNTIME_THREADS: usize = 2;

// Exit codes, the only ones `shop` uses.
/// Stopped on a signal after finishing its work, or printed help.
const EXIT_OK: u8 = 0;
/// Failed at run time: database, socket, server.
const EXIT_FAILURE: u8 = 1;
/// Bad arguments or environment: nothing was started.
const EXIT_USAGE: u8 = 2;

const USAGE: &str = "\
shop — daytwo's example app: a small shop on SQLite

USAGE:
    shop [web]      serve HTTP on 127.0.0.1:$PORT
    shop worker     fulfil pending orders every few seconds
    shop --help     this text
    shop --version

ENVIRONMENT:
    PORT                     web: port to listen on (required; 0 picks a free one)
    SHOP_DB                  SQLite file (default: $DAYTWO_DATA_DIR/shop.db, else
                             shop-$DAYTWO_ENV.db, else shop.db). It must exist with the
                             schema of migrations/: `daytwo migrate up --env ENV`
                             (daytwo up and deploys apply it before starting the shop)
    SHOP_WORKER_INTERVAL_MS  worker: milliseconds between passes (default 5000)
    DAYTWO_ENV, DAYTWO_RELEASE, DAYTWO_REPLICA
                             identity set by daytwo; shown by GET /whoami and in logs
    DAYTWO_FLAGS_URL         web: OFREP base URL of the env's flags (or OFREP_ENDPOINT);
                             unset: flags keep their initial values
    DAYTWO_FLAGS_TOKEN       web: bearer token for the flags server
    DAYTWO_FLAG_ANALYTICS    web: `analytics` until the server answers (default false)
    SHOP_FLAGS_POLL_MS       web: re-fetch flags this often besides SSE events (default 1000)
    SHOP_ANALYTICS_BYTES     web: bytes each recorded request keeps forever (default 16384)
    SHOP_ANALYTICS_LOG_EVERY web: log \"analytics buckets\" every N recorded requests (default 100)
    SHOP_ANALYTICS_FLUSH_MS  web: add the request counts to analytics_rollups this often
                             (default 10000, at least 100)
    RUST_LOG                 log filter (default: info)

Logs are JSON lines on stdout. SIGTERM or SIGINT stops gracefully (exit 0).
Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad arguments or environment.
";

enum Command {
    Web,
    Worker,
    Help,
    Version,
}

impl Command {
    fn parse(args: &[String]) -> Result<Self, String> {
        match args {
            [] => Ok(Self::Web),
            [one] => match one.as_str() {
                "web" => Ok(Self::Web),
                "worker" => Ok(Self::Worker),
                "-h" | "--help" | "help" => Ok(Self::Help),
                "-V" | "--version" => Ok(Self::Version),
                other => Err(format!("unknown command `{other}`")),
            },
            _ => Err(format!("expected at most one argument, got {}", args.len())),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match Command::parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("shop: {message}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let outcome = match command {
        Command::Help => {
            print!("{USAGE}");
            return ExitCode::from(EXIT_OK);
        }
        Command::Version => {
            println!("shop {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::from(EXIT_OK);
        }
        Command::Web => match WebConfig::load(&lookup) {
            Ok(config) => start(config.identity.replica.clone(), |signals| {
                web::run(config, signals)
            }),
            Err(error) => return config_error(&error),
        },
        Command::Worker => match WorkerConfig::load(&lookup) {
            Ok(config) => start(config.identity.replica.clone(), |signals| {
                worker::run(config, signals)
            }),
            Err(error) => return config_error(&error),
        },
    };
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(message) => {
            tracing::error!(error = %message, "failed");
            eprintln!("shop: {message}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn config_error(error: &ConfigError) -> ExitCode {
    eprintln!("shop: {error}");
    ExitCode::from(EXIT_USAGE)
}

/// Sets up logging, the runtime and the stop signals, then runs `process`.
fn start<F, Fut, E>(replica: Option<String>, process: F) -> Result<(), String>
where
    F: FnOnce(StopSignals) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    log::init(replica);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(RUNTIME_THREADS)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(async {
        let signals = StopSignals::install()
            .map_err(|error| format!("cannot install signal handlers: {error}"))?;
        process(signals).await.map_err(|error| error.to_string())
    })
}

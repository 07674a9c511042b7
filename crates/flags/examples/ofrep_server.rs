//! A standalone OFREP server over a few sample flags, for `bench/flags.sh`
//! and manual poking: `cargo run -p daytwo-flags --example ofrep_server -- 127.0.0.1:7070`.
//! Prints `listening on ADDR` and serves until stdin closes or Ctrl-C.

use daytwo_flags::{FlagsHandle, OfrepOptions, serve};
use daytwo_spec::{EnvFlag, FlagType, Rollout, Serve, Targeting};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const DEFAULT_ADDR: &str = "127.0.0.1:0";

fn flag(name: &str, value: serde_json::Value, targeting: Option<Targeting>) -> EnvFlag {
    EnvFlag {
        name: name.into(),
        description: format!("sample flag {name}"),
        kind: FlagType::Boolean,
        enabled: true,
        value: value.clone(),
        default: value,
        variants: BTreeMap::from([("on".into(), json!(true)), ("off".into(), json!(false))]),
        targeting,
        owner: Some("bench".into()),
        expires: None,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let rollout = Targeting {
        rules: vec![],
        rollout: Some(Rollout {
            percentage: 25.0,
            serve: Serve::Variant("on".into()),
        }),
    };
    let handle = FlagsHandle::new(
        "bench",
        [
            flag("analytics", json!(true), None),
            flag("new-search", json!(false), Some(rollout)),
        ],
    );
    let shutdown = CancellationToken::new();
    std::thread::spawn({
        let shutdown = shutdown.clone();
        move || {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            shutdown.cancel();
        }
    });
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
        }
    });
    serve(listener, handle, OfrepOptions::default(), shutdown).await?;
    Ok(())
}

//! `daytwo demo [--keep]`: the whole story against the example shop in a
//! temporary `DAYTWO_HOME` (see `crates/demo`). Exits 0 only when every
//! step behaved as narrated; the last line is the `summary:`.

use crate::context::Context;
use crate::exit;
use clap::Args;
use daytwo_demo::{DemoError, DemoOptions};
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the envs running afterwards, to explore with the printed
    /// DAYTWO_HOME.
    #[arg(long)]
    pub keep: bool,
    /// The compiled example shop (default: `shop` next to this executable,
    /// which `cargo build --workspace` puts there).
    #[arg(long, env = "SHOP_BIN", value_name = "FILE")]
    pub shop_bin: Option<PathBuf>,
}

pub async fn run(_context: &Context, args: DemoArgs) -> Result<u8> {
    let daytwo = std::env::current_exe()
        .into_diagnostic()
        .wrap_err("cannot find the daytwo executable")?;
    let shop_bin = match args.shop_bin {
        Some(path) => path,
        None => daytwo.with_file_name("shop"),
    };
    let options = DemoOptions {
        daytwo,
        shop_bin,
        keep: args.keep,
    };
    match daytwo_demo::run(options).await {
        Ok(_) => Ok(exit::SUCCESS),
        Err(error @ DemoError::Setup { .. }) => Err(miette!(
            help =
                "the demo needs `cargo build --workspace` (daytwo and the shop), git and python3",
            "{error}"
        )),
        Err(error) => Err(miette!(
            help = "every step above ran real daytwo commands; the first that did not behave as described stopped the demo",
            "demo failed: {error}"
        )),
    }
}

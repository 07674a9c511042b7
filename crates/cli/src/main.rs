//! The `daytwo` binary: a thin clap front end over the library crates.
//!
//! It parses arguments, loads specs (`daytwo-spec`), talks to the daemon over
//! its control API (`daytwo-api`), starts the daemon in the background when a
//! command needs it (`daytwo-daemon`), and renders human or `--json` output.
//! The hidden `shim` subcommand is the per-replica supervisor of the engine;
//! it is dispatched before any async runtime starts so that it stays small.

mod cli;
mod commands;
mod context;
mod exit;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let _program = args.next();
    if args.next().as_deref() == Some(std::ffi::OsStr::new("shim")) {
        return daytwo_engine::shim::main(args.collect());
    }

    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    output::init_color(cli.color);
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(output::color_enabled())
                .build(),
        )
    }))
    .ok();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let json = cli.json_requested();
    let result = runtime.block_on(commands::run(cli));
    // Do not wait for lingering tasks (e.g. a log stream) on exit.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => exit::report(error, json),
    }
}

//! One module per command; each returns the process exit code.

mod check;
mod down;
mod env;
mod events;
mod init;
mod logs;
mod ps;
mod serve;
mod status;
mod up;

use crate::cli::{Cli, Command, EnvCommand};
use crate::context::Context;
use miette::Result;

pub async fn run(cli: Cli) -> Result<u8> {
    let context = Context::new(cli.home);
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Check(args) => check::run(args),
        Command::Env(EnvCommand::Diff(args)) => env::diff(args),
        Command::Up(args) => up::run(&context, args).await,
        Command::Down(args) => down::run(&context, args).await,
        Command::Status(args) => status::run(&context, args).await,
        Command::Ps(args) => ps::run(&context, args).await,
        Command::Logs(args) => logs::run(&context, args).await,
        Command::Events(args) => events::run(&context, args).await,
        Command::Serve => serve::run(&context).await,
    }
}

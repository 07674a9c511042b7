//! One module per command; each returns the process exit code.

mod build;
mod check;
mod demo;
mod deploy;
mod down;
mod env;
mod events;
mod flags;
mod history;
mod incident;
mod init;
mod keys;
mod logs;
mod migrate;
mod notes;
mod proxy;
mod ps;
mod releases;
mod serve;
mod status;
mod up;
mod why;

use crate::cli::{Cli, Command, EnvCommand, KeysCommand};

use crate::context::Context;
pub use demo::DemoArgs;
pub use flags::FlagsArgs;
pub use incident::IncidentCommand;
use miette::Result;
pub use migrate::MigrateCommand;
pub use notes::{NotesArgs, NotesFormat};
pub use why::WhyArgs;

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
        Command::Build(args) => build::run(&context, args).await,
        Command::Keys(KeysCommand::Generate(args)) => keys::generate(&context, args),
        Command::Keys(KeysCommand::Trust(args)) => keys::trust(&context, args),
        Command::Import(args) => releases::import(&context, args).await,
        Command::Releases(args) => releases::list(&context, args).await,
        Command::Deploy(args) => deploy::deploy(&context, args).await,
        Command::Promote(args) => deploy::promote(&context, args).await,
        Command::Rollback(args) => deploy::rollback(&context, args).await,
        Command::History(args) => history::run(&context, args).await,
        Command::Flags(args) => flags::run(&context, args).await,
        Command::Migrate(command) => migrate::run(&context, command),
        Command::Proxy => proxy::run(&context).await,
        Command::Why(args) => why::run(&context, args),
        Command::Notes(args) => notes::run(&context, args),
        Command::Demo(args) => demo::run(&context, args).await,
        Command::Incident(command) => incident::run(&context, command),
    }
}

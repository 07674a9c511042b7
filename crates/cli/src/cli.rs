//! Command-line arguments (clap derive). Names and flags here are a contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "daytwo",
    version,
    about = "One declarative spec per app; the same topology on a laptop and in production.",
    propagate_version = true
)]
pub struct Cli {
    /// State directory: the daemon's socket, store, logs (default: $XDG_STATE_HOME/daytwo).
    #[arg(long, global = true, env = "DAYTWO_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the command prints JSON (errors are then JSON too).
    pub fn json_requested(&self) -> bool {
        match &self.command {
            Command::Check(args) => args.json,
            Command::Env(EnvCommand::Diff(args)) => args.json,
            Command::Up(args) => args.json,
            Command::Down(args) => args.json,
            Command::Status(args) => args.json,
            Command::Ps(args) => args.json,
            Command::Logs(args) => args.json,
            Command::Events(args) => args.json,
            Command::Init(_) | Command::Serve => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter daytwo.toml (or convert a Procfile).
    Init(InitArgs),
    /// Validate a spec: every problem with file, line, key and a hint.
    Check(CheckArgs),
    /// Compare environments.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Run the working tree as an env's current release.
    Up(UpArgs),
    /// Stop an env (or all envs); returns when every replica has exited.
    Down(DownArgs),
    /// The daemon and the envs it runs.
    Status(OutputArgs),
    /// Every replica with its state, pid, port and resources.
    Ps(PsArgs),
    /// Captured output of replicas.
    Logs(LogsArgs),
    /// The event log: starts, exits, crashes, restarts, health changes.
    Events(EventsArgs),
    /// Run the daemon in the foreground (other commands start it in the background).
    Serve,
}

#[derive(Debug, Args)]
pub struct SpecArg {
    /// The spec file (default: daytwo.toml here or in the nearest parent directory).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Convert this Procfile (Heroku/foreman) instead of writing the starter spec.
    #[arg(long, value_name = "FILE")]
    pub procfile: Option<PathBuf>,
    /// App name (default: the current directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Where to write (default: ./daytwo.toml).
    #[arg(long, value_name = "FILE", default_value = "daytwo.toml")]
    pub output: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub spec: SpecArg,
    /// Print `{valid, file, diagnostics:[{code,severity,message,file,line,column,field,hint}]}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Print the effective differences between two envs.
    Diff(EnvDiffArgs),
}

#[derive(Debug, Args)]
pub struct EnvDiffArgs {
    pub left: String,
    pub right: String,
    #[command(flatten)]
    pub spec: SpecArg,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub spec: SpecArg,
    /// The environment (default: dev).
    #[arg(long, default_value = daytwo_spec::DEFAULT_ENV)]
    pub env: String,
    /// Return once the replicas are started instead of streaming their logs.
    #[arg(long, short)]
    pub detach: bool,
    /// With --detach: print the started replicas as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// The environment to stop (default: dev).
    #[arg(long, conflicts_with = "all")]
    pub env: Option<String>,
    /// Stop every env the daemon runs.
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Only this env.
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new lines until Ctrl-C.
    #[arg(long, short)]
    pub follow: bool,
    /// Only this env (default: all).
    #[arg(long)]
    pub env: Option<String>,
    /// Only this process.
    #[arg(long, short)]
    pub process: Option<String>,
    /// Only this replica number (1-based).
    #[arg(long, short)]
    pub replica: Option<u32>,
    /// Only lines newer than this, e.g. 30s, 5m, 1h.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub since: Option<Duration>,
    /// At most this many of the newest lines per replica.
    #[arg(long, short = 'n')]
    pub tail: Option<usize>,
    /// One JSON object per line: {ts, env, process, replica, stream, line}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this env.
    #[arg(long)]
    pub env: Option<String>,
    /// At most this many of the newest events.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
}

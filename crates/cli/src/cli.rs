//! Command-line arguments (clap derive). Names and flags here are a contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "daytwo",
    version,
    about = "One declarative spec per app; the same topology on a laptop and in production."
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
            Command::Build(args) => args.json,
            Command::Keys(KeysCommand::Generate(args)) => args.json,
            Command::Keys(KeysCommand::Trust(_)) => false,
            Command::Import(args) => args.json,
            Command::Releases(args) => args.json,
            Command::Deploy(args) => args.json,
            Command::Promote(args) => args.json,
            Command::Rollback(args) => args.json,
            Command::History(args) => args.json,
            Command::Migrate(command) => command.json(),
            Command::Flags(args) => args.json(),
            Command::Why(args) => args.json,
            Command::Notes(args) => args.format == crate::commands::NotesFormat::Json,
            Command::Incident(command) => command.json(),
            Command::Init(_) | Command::Serve | Command::Proxy | Command::Demo(_) => false,
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
    /// Build the app into an immutable, signed, content-addressed bundle.
    Build(BuildArgs),
    /// Signing keys: generate a key pair, trust a public key for envs.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Add a bundle file to the release store (verified first).
    Import(ImportArgs),
    /// The releases in the store and where they run.
    Releases(OutputArgs),
    /// Deploy a stored release to an env: preflight, smoke check, switch, drain.
    Deploy(DeployArgs),
    /// Deploy exactly the release running in one env to another.
    Promote(PromoteArgs),
    /// Go back to the previous release (a traffic switch while it is warm).
    Rollback(RollbackArgs),
    /// Every deploy, promote and rollback with its outcome.
    History(HistoryArgs),
    /// Feature flags: list, set at run time, history, export.
    Flags(crate::commands::FlagsArgs),
    /// Database migrations: lint for rollback safety, status, apply.
    #[command(subcommand)]
    Migrate(crate::commands::MigrateCommand),
    /// Which code prints this log line? Ranked file:line matches with git blame.
    Why(crate::commands::WhyArgs),
    /// Release notes: commits, flags, migrations, spec changes and measured behaviour since the previous release.
    Notes(crate::commands::NotesArgs),
    /// Incidents and their timelines (guard verdicts, remediation, flag flips, deploys).
    #[command(subcommand)]
    Incident(crate::commands::IncidentCommand),
    /// The whole story in about a minute, in its own temporary DAYTWO_HOME:
    /// build, promote, a leaking canary caught and rolled back, the kill
    /// switch, notes, incident and why.
    Demo(crate::commands::DemoArgs),
    /// Run the daemon in the foreground (other commands start it in the background).
    Serve,
    /// Run the proxy (the data plane) in the foreground; the daemon starts it when needed.
    Proxy,
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

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub spec: SpecArg,
    /// Release version (default: `git describe --tags --always --dirty`).
    #[arg(long)]
    pub version: Option<String>,
    /// Where to write the bundle (default: $DAYTWO_HOME/bundles).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Private signing key (default: $DAYTWO_HOME/keys/release.key).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Only write the bundle file; do not add it to the local release store.
    #[arg(long)]
    pub no_import: bool,
    /// Print `{version, digest, path}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate an ed25519 signing key pair in $DAYTWO_HOME/keys.
    Generate(KeysGenerateArgs),
    /// Trust a public key for bundles deployed to these envs.
    Trust(KeysTrustArgs),
}

#[derive(Debug, Args)]
pub struct KeysGenerateArgs {
    /// Key name: writes NAME.key (0600) and NAME.pub.
    #[arg(long, default_value = "release")]
    pub name: String,
    /// Envs that trust the new public key (repeatable).
    #[arg(long = "trust", value_name = "ENV", default_values_t = [daytwo_spec::DEFAULT_ENV.to_string()])]
    pub trust: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeysTrustArgs {
    /// A public key file (`*.pub`).
    pub file: PathBuf,
    /// Envs that trust it (repeatable).
    #[arg(long = "env", required = true, value_name = "ENV")]
    pub envs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The bundle file (`*.tar.zst`).
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Replica by replica.
    Rolling,
    /// All at once.
    BlueGreen,
    /// Step by step (the spec's `[rollout] steps`, default 10 → 50 → 100 %),
    /// each step analysed by the guards; a failing guard rolls back.
    Canary,
}

impl StrategyArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::BlueGreen => "blue-green",
            Self::Canary => "canary",
        }
    }
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Version, digest (`sha256:…`) or a unique digest prefix of a stored release.
    pub release: String,
    #[arg(long)]
    pub env: String,
    /// How traffic moves to the new release (default: the release's
    /// `[rollout] strategy`, else rolling). Exits non-zero when a canary
    /// is rolled back.
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// Deploy a release with contract migrations (rollback-unsafe): rolling
    /// back across it is refused afterwards unless forced.
    #[arg(long)]
    pub allow_contract: bool,
    /// Progress and result as NDJSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The env whose running release is deployed.
    #[arg(long)]
    pub from: String,
    /// The env to deploy it to.
    #[arg(long)]
    pub to: String,
    /// How traffic moves to the promoted release (default: its
    /// `[rollout] strategy` for the target env, else rolling).
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[arg(long)]
    pub env: String,
    /// A specific older release (default: the previous one).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Roll back across a release with contract migrations (recorded in history).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this env.
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

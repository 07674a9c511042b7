//! `daytwo notes RELEASE [--since RELEASE] [--format md|json]`: release
//! notes generated from the store's manifests (read locally, no daemon) and
//! the git commits between the two releases, when the spec's repository is
//! at hand, plus the behaviour the daemon measured of both releases in
//! each env (its stored telemetry; read directly, no daemon needed).

use crate::context::Context;
use crate::exit;
use crate::output::print_json;
use clap::{Args, ValueEnum};
use daytwo_release::notes::{self, CommitLog, ReleaseNotes};
use miette::{Result, miette};
use std::path::{Path, PathBuf};

/// The release store inside `DAYTWO_HOME` (docs/releases.md).
const RELEASES_DIR: &str = "releases";

#[derive(Debug, Args)]
pub struct NotesArgs {
    /// The release: a version, a digest or a unique digest prefix.
    pub release: String,
    /// The release to compare with (default: the newest release of the same
    /// app created before RELEASE).
    #[arg(long, value_name = "RELEASE")]
    pub since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = NotesFormat::Md)]
    pub format: NotesFormat,
    /// The spec file, to find the git repository the commits come from
    /// (default: daytwo.toml here or in the nearest parent directory).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NotesFormat {
    /// Markdown, for a chat or a changelog.
    Md,
    /// The same content as one JSON object.
    Json,
}

pub fn run(context: &Context, args: NotesArgs) -> Result<u8> {
    let manifests = notes::load_manifests(&context.home.join(RELEASES_DIR))
        .map_err(|error| miette!("{error}"))?;
    let help = "`daytwo releases` lists the stored releases";
    let release = notes::resolve(&manifests, &args.release)
        .map_err(|error| miette!(help = help, "{error}"))?;
    let since = match &args.since {
        Some(query) => Some(
            notes::resolve(&manifests, query).map_err(|error| miette!(help = help, "{error}"))?,
        ),
        None => notes::since_default(&manifests, release),
    };
    let commits = commit_log(source_dir(args.spec.as_deref()).as_deref(), release, since);
    let measured = daytwo_daemon::measured_behaviour(&context.home, release, since)
        .map_err(|error| miette!("cannot read the measured behaviour: {error}"))?;
    let notes = ReleaseNotes::between(release, since, commits).with_measured(measured);
    match args.format {
        NotesFormat::Json => print_json(&notes),
        NotesFormat::Md => anstream::print!("{}", notes.to_markdown()),
    }
    Ok(exit::SUCCESS)
}

/// The spec's directory (`--spec`, else the nearest `daytwo.toml`).
fn source_dir(spec: Option<&Path>) -> Option<PathBuf> {
    let spec = match spec {
        Some(spec) => spec.to_path_buf(),
        None => daytwo_spec::find_spec(&std::env::current_dir().ok()?).ok()?,
    };
    let dir = spec.parent()?;
    Some(if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    })
}

fn commit_log(
    repo: Option<&Path>,
    release: &daytwo_release::Manifest,
    since: Option<&daytwo_release::Manifest>,
) -> CommitLog {
    let Some(repo) = repo else {
        return CommitLog::Unknown {
            reason: "no spec found to locate the git repository (pass --spec)".to_string(),
        };
    };
    let Some(new) = &release.git else {
        return CommitLog::Unknown {
            reason: format!(
                "release {} was not built in a git repository",
                release.version
            ),
        };
    };
    match since {
        None => notes::commits_between(repo, None, &new.commit),
        Some(since) => match &since.git {
            Some(old) => notes::commits_between(repo, Some(&old.commit), &new.commit),
            None => CommitLog::Unknown {
                reason: format!(
                    "release {} was not built in a git repository",
                    since.version
                ),
            },
        },
    }
}

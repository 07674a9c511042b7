//! What every command needs: the state directory, the spec, a daemon client.

use crate::cli::SpecArg;
use daytwo_api::Client;
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use std::path::{Path, PathBuf};

pub struct Context {
    pub home: PathBuf,
}

impl Context {
    pub fn new(home: Option<PathBuf>) -> Self {
        Self {
            home: home.unwrap_or_else(daytwo_daemon::default_home),
        }
    }

    /// A client of the daemon, starting it in the background when needed.
    pub async fn daemon(&self) -> Result<Client> {
        let exe = std::env::current_exe()
            .into_diagnostic()
            .wrap_err("cannot find the daytwo executable to start the daemon")?;
        daytwo_daemon::connect_or_start(&self.home, &exe)
            .await
            .map_err(|error| {
                miette!(
                    help = "see daemon.log in the state directory; `daytwo serve` runs it in the foreground",
                    "{error}"
                )
            })
    }

    /// A client of a daemon that is already running, or `None`.
    pub async fn running_daemon(&self) -> Option<Client> {
        let client = Client::for_home(&self.home);
        client.status().await.ok().map(|_| client)
    }
}

/// The spec file: `--spec`, else `daytwo.toml` here or in the nearest parent.
pub fn spec_path(arg: &SpecArg) -> Result<PathBuf> {
    match &arg.spec {
        Some(path) => Ok(path.clone()),
        None => {
            let cwd = std::env::current_dir().into_diagnostic()?;
            daytwo_spec::find_spec(&cwd).map_err(miette::Report::new)
        }
    }
}

/// Loads and validates the spec, printing warnings on stderr.
pub fn load_spec(path: &Path) -> Result<daytwo_spec::Spec> {
    let loaded = daytwo_spec::load(path).map_err(miette::Report::new)?;
    print_warnings(&loaded);
    Ok(loaded.spec)
}

/// Renders the spec's warnings (same format as errors) on stderr.
pub fn print_warnings(loaded: &daytwo_spec::Loaded) {
    if let Some(report) = &loaded.warnings_report {
        eprintln!("{:?}", miette::Report::new(report.clone()));
    }
}

/// Turns a control-API client error into a report with the daemon's hint.
pub fn api_error(error: daytwo_api::ClientError) -> miette::Report {
    match error.hint() {
        Some(hint) => miette!(help = hint.to_string(), "{error}"),
        None => miette!("{error}"),
    }
}

/// Turns a release-layer error into a report with its code and hint.
pub fn release_error(error: daytwo_release::ReleaseError) -> miette::Report {
    let code = error.code();
    match error.hint() {
        Some(hint) => miette!(code = code, help = hint, "{error}"),
        None => miette!(code = code, "{error}"),
    }
}

/// The OS user running the command, for history records.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|user| !user.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|user| user.name)
        })
        .unwrap_or_else(|| format!("uid {}", nix::unistd::getuid()))
}

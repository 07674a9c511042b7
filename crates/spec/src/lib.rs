//! `daytwo.toml`: the one declarative spec of an app.
//!
//! ```text
//! file ─parse (spans)─> raw ─interpolate ${VAR}─> overlay [env.NAME] ─validate─> Spec / EnvSpec
//! ```
//!
//! This crate owns reading and checking the spec, its diagnostics (miette
//! reports and `--json` records), env selection and diffing, the Procfile
//! import and the starter spec. It does not run anything: the engine does.
//! docs/spec.md is the user-facing reference of every key.

pub mod code;
mod diagnostic;
mod diff;
mod env_select;
mod error;
mod flag;
mod interpolate;
mod load;
mod model;
pub mod procfile;
mod raw;
mod resolve;
mod rollout;
mod signal;
mod size;
mod starter;
mod suggest;
mod walk;

pub use diagnostic::{Severity, SpecDiagnostic, SpecProblem, SpecReport};
pub use diff::{Difference, diff};
pub use error::SpecError;
pub use flag::*;
pub use load::{Loaded, SPEC_FILE_NAME, find_spec, load, load_with, parse_str};
pub use model::*;
pub use rollout::*;
pub use signal::STOP_SIGNALS;
pub use size::format_size;
pub use starter::starter;

/// True when `name` is a valid `[app] name`: lowercase letters, digits and
/// `-` (not first or last), at most 63 characters.
pub fn is_valid_app_name(name: &str) -> bool {
    resolve::is_valid_app_name(name)
}

/// A valid app name derived from any text (e.g. a directory name):
/// lowercased, other characters turned into `-`, trimmed; `app` if nothing
/// is left.
pub fn app_name_from(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name: String = name.trim_matches('-').chars().take(63).collect();
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        "app".to_string()
    } else {
        name
    }
}

//! Exit codes of `daytwo`, in one place.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the command failed (invalid spec, daemon error, replica failure, …) |
//! | 2 | usage error: unknown command, bad flag or argument |

use miette::Report;
use std::process::ExitCode;

pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;

/// Prints an error (human: miette report on stderr; `--json`: an `error`
/// object on stdout) and returns the failure exit code.
pub fn report(error: Report, json: bool) -> ExitCode {
    if json {
        let hint = error.help().map(|help| help.to_string());
        let code = error
            .code()
            .map(|code| code.to_string())
            .unwrap_or_else(|| "daytwo::error".to_string());
        let body = serde_json::json!({
            "error": { "code": code, "message": error.to_string(), "hint": hint }
        });
        println!("{body:#}");
    } else {
        eprintln!("{error:?}");
    }
    ExitCode::from(FAILURE)
}

//! `SpecError`: everything that can go wrong finding, reading, checking or
//! selecting from a spec. Every variant is a miette diagnostic with a code
//! and a hint; [`SpecError::diagnostics`] gives the `--json` form.

use crate::code;
use crate::diagnostic::{Severity, SpecDiagnostic, SpecReport};
use miette::{Diagnostic, LabeledSpan, SourceCode};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// No `daytwo.toml` in `start_dir` or any of its parents.
    #[error("no daytwo.toml in {} or any parent directory", start_dir.display())]
    NotFound { start_dir: PathBuf },

    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file has errors (all of them are in the report, with any warnings).
    #[error(transparent)]
    Invalid(Box<SpecReport>),

    /// `--env NAME` names an env the spec does not declare.
    #[error("unknown env `{name}`")]
    UnknownEnv {
        name: String,
        /// Envs usable with `--env`: the declared ones and `dev`.
        known: Vec<String>,
        suggestion: Option<String>,
    },
}

impl SpecError {
    /// The stable code of this error (the first problem's for `Invalid`).
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::NotFound { .. } => code::NOT_FOUND,
            SpecError::Read { .. } => code::READ_FAILED,
            SpecError::Invalid(report) => report
                .problems()
                .iter()
                .find(|p| p.severity == Severity::Error)
                .map_or(code::TOML_SYNTAX, |p| p.code),
            SpecError::UnknownEnv { .. } => code::UNKNOWN_ENV,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SpecError::NotFound { .. } => {
                Some("run `daytwo init` to create one here, or pass `--spec FILE`".to_string())
            }
            SpecError::Read { .. } => {
                Some("check that the path exists and is readable".to_string())
            }
            SpecError::Invalid(_) => None,
            SpecError::UnknownEnv {
                known, suggestion, ..
            } => {
                let known = known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Some(match suggestion {
                    Some(s) => format!("did you mean `{s}`? known envs: {known}"),
                    None => format!("known envs: {known}; declare others as [env.NAME]"),
                })
            }
        }
    }

    /// Every problem as a flat record, for `--json`.
    pub fn diagnostics(&self) -> Vec<SpecDiagnostic> {
        if let SpecError::Invalid(report) = self {
            return report.diagnostics();
        }
        let file = match self {
            SpecError::NotFound { start_dir } => start_dir.display().to_string(),
            SpecError::Read { path, .. } => path.display().to_string(),
            _ => String::new(),
        };
        let field = match self {
            SpecError::UnknownEnv { .. } => Some("env".to_string()),
            _ => None,
        };
        vec![SpecDiagnostic {
            code: self.code().to_string(),
            severity: Severity::Error,
            message: self.to_string(),
            file,
            line: None,
            column: None,
            field,
            hint: self.hint(),
        }]
    }

    /// The report of problems, when the file itself was invalid.
    pub fn report(&self) -> Option<&SpecReport> {
        match self {
            SpecError::Invalid(report) => Some(report),
            _ => None,
        }
    }
}

impl Diagnostic for SpecError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            SpecError::Invalid(report) => report.code(),
            other => Some(Box::new(other.code())),
        }
    }

    fn severity(&self) -> Option<miette::Severity> {
        match self {
            SpecError::Invalid(report) => report.severity(),
            _ => Some(miette::Severity::Error),
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            SpecError::Invalid(report) => report.help(),
            other => other
                .hint()
                .map(|hint| Box::new(hint) as Box<dyn fmt::Display>),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self {
            SpecError::Invalid(report) => report.labels(),
            _ => None,
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            SpecError::Invalid(report) => report.source_code(),
            _ => None,
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        match self {
            SpecError::Invalid(report) => report.related(),
            _ => None,
        }
    }
}

//! Reading a spec: find the file, parse it with spans, walk it, resolve the
//! overlays, and hand back the validated [`Spec`] or every problem at once.

use crate::code;
use crate::diagnostic::{SpecDiagnostic, SpecProblem, SpecReport};
use crate::error::SpecError;
use crate::model::Spec;
use crate::resolve::{expiry_warnings, has_errors, resolve, tidy};
use crate::walk::Walker;
use std::path::{Path, PathBuf};

/// The file every command looks for.
pub const SPEC_FILE_NAME: &str = "daytwo.toml";

/// A validated spec and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: Spec,
    /// Non-fatal problems, as flat records (`--json`).
    pub warnings: Vec<SpecDiagnostic>,
    /// The same warnings as a renderable miette report, when there are any.
    pub warnings_report: Option<SpecReport>,
}

/// `daytwo.toml` in `start_dir` or the nearest parent that has one (as cargo
/// finds `Cargo.toml`). The returned path is absolute.
pub fn find_spec(start_dir: &Path) -> Result<PathBuf, SpecError> {
    let start = std::path::absolute(start_dir).map_err(|source| SpecError::Read {
        path: start_dir.to_path_buf(),
        source,
    })?;
    start
        .ancestors()
        .map(|dir| dir.join(SPEC_FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or(SpecError::NotFound { start_dir: start })
}

/// Loads a spec, interpolating `${VAR}` from the process environment.
pub fn load(path: &Path) -> Result<Loaded, SpecError> {
    load_with(path, &|name| std::env::var(name).ok())
}

/// Loads a spec, interpolating `${VAR}` with `lookup`.
pub fn load_with(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, SpecError> {
    let read_error = |source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    let file = std::fs::canonicalize(path).map_err(read_error)?;
    parse(&text, &path.display().to_string(), &file, lookup)
}

/// Parses spec text as if read from `file` (recorded as given; pass an
/// absolute path). Problems are reported under `file`'s display name.
pub fn parse_str(
    text: &str,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, SpecError> {
    parse(text, &file.display().to_string(), file, lookup)
}

fn parse(
    text: &str,
    display_name: &str,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, SpecError> {
    let invalid =
        |problems| SpecError::Invalid(Box::new(SpecReport::new(display_name, text, problems)));
    let (root, syntax_errors) = toml::de::DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let problems = syntax_errors.iter().map(syntax_problem).collect();
        return Err(invalid(tidy(problems)));
    }
    let mut walker = Walker::new(text, lookup);
    let raw = walker.spec(root.get_ref());
    let mut problems = walker.problems;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let spec = resolve(&raw, file, &dir, &mut problems);
    problems.extend(expiry_warnings(&raw, &today()));
    let problems = tidy(problems);
    if has_errors(&problems) {
        return Err(invalid(problems));
    }
    let warnings_report =
        (!problems.is_empty()).then(|| SpecReport::new(display_name, text, problems));
    Ok(Loaded {
        spec,
        warnings: warnings_report
            .as_ref()
            .map(SpecReport::diagnostics)
            .unwrap_or_default(),
        warnings_report,
    })
}

/// Today's date in the local time zone, `YYYY-MM-DD` (flag expiry).
fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}

fn syntax_problem(error: &toml::de::Error) -> SpecProblem {
    let message = error.message().trim();
    let (first, rest) = message.split_once('\n').unwrap_or((message, ""));
    let mut problem = SpecProblem::error(code::TOML_SYNTAX, format!("invalid TOML: {first}"))
        .hint("fix the TOML syntax; see https://toml.io for the format");
    if !rest.trim().is_empty() {
        problem = problem.label(rest.trim());
    }
    match error.span() {
        Some(span) => problem.span(span),
        None => problem,
    }
}

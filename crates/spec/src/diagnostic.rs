//! Problems found in an input file (`daytwo.toml`, a Procfile) and the two
//! ways they are shown: a miette report with the source line underlined
//! ([`SpecReport`]) and a flat serde record per problem ([`SpecDiagnostic`],
//! what `--json` prints).
//!
//! This module knows nothing of the spec's schema; the walker and the
//! resolver create [`SpecProblem`]s, this module renders them.

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// How bad a problem is: errors make loading fail, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located by a byte span in the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// Stable code, e.g. `spec::unknown_key` (see [`crate::code`]).
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Dotted path of the key, e.g. `process.web.health.interval`.
    pub field: Option<String>,
    /// Byte range in the source that the problem is about.
    pub span: Option<Range<usize>>,
    /// Short text shown under the underlined span.
    pub label: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl SpecProblem {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            field: None,
            span: None,
            label: None,
            hint: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn span(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds "did you mean `x`?" to the hint when there is a suggestion.
    pub fn suggestion(mut self, suggestion: Option<&str>) -> Self {
        if let Some(suggestion) = suggestion {
            let did_you_mean = format!("did you mean `{suggestion}`?");
            self.hint = Some(match self.hint.take() {
                Some(hint) => format!("{did_you_mean} {hint}"),
                None => did_you_mean,
            });
        }
        self
    }

    fn labeled_span(&self) -> Option<LabeledSpan> {
        self.span
            .clone()
            .map(|span| LabeledSpan::new_with_span(self.label.clone(), span))
    }
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecProblem {}

impl Diagnostic for SpecProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.hint
            .as_ref()
            .map(|hint| Box::new(hint) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.labeled_span()
            .map(|span| Box::new(std::iter::once(span)) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

/// One problem as a flat record: what `daytwo check --json` prints.
/// `line` and `column` are 1-based; `column` counts characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDiagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub field: Option<String>,
    pub hint: Option<String>,
}

/// All problems of one file, with the file's text: a miette diagnostic that
/// renders each problem with its source line underlined.
///
/// With a single problem the report *is* that problem; with several, the
/// report is a summary and the problems are its `related()` diagnostics.
#[derive(Debug, Clone)]
pub struct SpecReport {
    file: String,
    source: NamedSource<String>,
    problems: Vec<SpecProblem>,
}

impl SpecReport {
    /// `file` is the name shown to the user (as given on the command line).
    pub fn new(
        file: impl Into<String>,
        text: impl Into<String>,
        problems: Vec<SpecProblem>,
    ) -> Self {
        let file = file.into();
        Self {
            source: NamedSource::new(file.clone(), text.into()),
            file,
            problems,
        }
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        self.source.inner()
    }

    pub fn problems(&self) -> &[SpecProblem] {
        &self.problems
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    /// The problems as flat records with 1-based line and column.
    pub fn diagnostics(&self) -> Vec<SpecDiagnostic> {
        self.problems
            .iter()
            .map(|problem| {
                let position = problem
                    .span
                    .as_ref()
                    .map(|span| line_column(self.text(), span.start));
                SpecDiagnostic {
                    code: problem.code.to_string(),
                    severity: problem.severity,
                    message: problem.message.clone(),
                    file: self.file.clone(),
                    line: position.map(|(line, _)| line),
                    column: position.map(|(_, column)| column),
                    field: problem.field.clone(),
                    hint: problem.hint.clone(),
                }
            })
            .collect()
    }

    fn single(&self) -> Option<&SpecProblem> {
        match self.problems.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

impl fmt::Display for SpecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(only) = self.single() {
            return write!(f, "{only}");
        }
        let (errors, warnings) = (self.error_count(), self.warning_count());
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        match (errors, warnings) {
            (0, w) => write!(f, "{} in {}", plural(w, "warning"), self.file),
            (e, 0) => write!(f, "{} in {}", plural(e, "error"), self.file),
            (e, w) => write!(
                f,
                "{} and {} in {}",
                plural(e, "error"),
                plural(w, "warning"),
                self.file
            ),
        }
    }
}

impl std::error::Error for SpecReport {}

impl Diagnostic for SpecReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.single().and_then(|only| only.code())
    }

    fn severity(&self) -> Option<miette::Severity> {
        if self.error_count() == 0 {
            Some(miette::Severity::Warning)
        } else {
            Some(miette::Severity::Error)
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.single().and_then(|only| only.help())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.single().and_then(|only| only.labels())
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.single().is_some() {
            return None;
        }
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// 1-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_is_one_based_and_counts_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` after the two-byte `é` is the 4th character of line 2.
        assert_eq!(line_column(text, 10), (2, 4));
    }
}

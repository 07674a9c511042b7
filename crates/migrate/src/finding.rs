//! What the linter reports: one [`Finding`] per classified statement (or per
//! operation of a multi-operation `ALTER TABLE`), and the [`LintReport`]
//! that collects them for a directory.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a statement affects the release that is still running while (and
/// after) the migration is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Safe for the previous release's code: rollback stays possible.
    Expand,
    /// Breaks the previous release: rolling back across it is unsafe.
    Contract,
    /// Not understood: treated as contract unless acknowledged.
    Unknown,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Expand => "expand",
            Class::Contract => "contract",
            Class::Unknown => "unknown",
        }
    }

    /// Contract and unknown statements block a lint unless acknowledged.
    pub fn blocks(self) -> bool {
        self != Class::Expand
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PostgreSQL lock or rewrite hazard: the statement is compatible or not,
/// but it can block traffic while it runs. Hazards are warnings: they never
/// fail a lint on their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hazard {
    /// Stable id, e.g. `index-without-concurrently` (docs/migrations.md).
    pub id: String,
    pub message: String,
}

/// One classified statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The migration file, as found under the linted directory.
    pub file: String,
    /// 1-based line where the statement starts.
    pub line: usize,
    /// The statement's text, without the trailing `;`.
    pub statement: String,
    pub class: Class,
    /// The rule id (docs/migrations.md lists them all).
    pub rule: String,
    /// Why the statement breaks (or does not break) the running release.
    pub message: String,
    /// How to make the same change safely with expand/contract steps.
    pub recipe: String,
    /// The reason given by a `-- daytwo:allow` annotation, when acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<String>,
    /// PostgreSQL lock hazards (warnings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<Hazard>,
}

impl Finding {
    /// True when this finding fails the lint: contract or unknown, and not
    /// acknowledged.
    pub fn blocks(&self) -> bool {
        self.class.blocks() && self.acknowledged.is_none()
    }
}

/// An annotation comment that could not be used: malformed, or naming a
/// rule the statement below it does not trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationProblem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The result of linting a migration directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintReport {
    /// Findings in file order, then statement order.
    pub findings: Vec<Finding>,
    /// Annotations that were malformed or matched nothing; any fails the lint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotation_problems: Vec<AnnotationProblem>,
}

impl LintReport {
    /// No unacknowledged contract/unknown finding and no bad annotation:
    /// `daytwo migrate lint` exits 0.
    pub fn passes(&self) -> bool {
        self.annotation_problems.is_empty() && !self.findings.iter().any(Finding::blocks)
    }

    /// True when some finding is a contract or unknown statement, acknowledged
    /// or not: a release carrying these migrations is rollback-unsafe.
    pub fn has_contract(&self) -> bool {
        self.findings.iter().any(|f| f.class.blocks())
    }

    /// The findings that fail the lint.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocks())
    }

    /// All hazards with their findings.
    pub fn hazard_count(&self) -> usize {
        self.findings.iter().map(|f| f.hazards.len()).sum()
    }
}

/// Human output: one block per finding that is not a plain expand, then a
/// summary line.
impl fmt::Display for LintReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let first_line = finding.statement.lines().next().unwrap_or_default();
            let ack = if finding.acknowledged.is_some() {
                " (acknowledged)"
            } else {
                ""
            };
            writeln!(
                f,
                "{}:{}: {} [{}]{ack}: {first_line}",
                finding.file, finding.line, finding.class, finding.rule
            )?;
            if finding.class.blocks() {
                writeln!(f, "  why: {}", finding.message)?;
                writeln!(f, "  safe recipe: {}", finding.recipe)?;
            }
            if let Some(reason) = &finding.acknowledged {
                writeln!(f, "  acknowledged: {reason}")?;
            }
            for hazard in &finding.hazards {
                writeln!(f, "  warning [{}]: {}", hazard.id, hazard.message)?;
            }
        }
        for problem in &self.annotation_problems {
            writeln!(
                f,
                "{}:{}: bad annotation: {}",
                problem.file, problem.line, problem.message
            )?;
        }
        let count = |class: Class| self.findings.iter().filter(|x| x.class == class).count();
        let blocking = self.blocking().count();
        write!(
            f,
            "{} finding{}: {} expand, {} contract, {} unknown; {} hazard warnings; {}",
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            count(Class::Expand),
            count(Class::Contract),
            count(Class::Unknown),
            self.hazard_count(),
            if self.passes() {
                "rollback stays possible".to_string()
            } else {
                format!(
                    "{} unacknowledged",
                    blocking + self.annotation_problems.len()
                )
            }
        )
    }
}

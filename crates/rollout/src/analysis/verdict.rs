//! What one look of the analysis concludes: a [`Verdict`] made of one
//! [`GuardReport`] per enabled guard, each with its name, its own
//! [`Decision`], a one-line summary and the numbers behind it.

use daytwo_types::ReplicaKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The guards, by the names the spec and the history use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    ErrorRate,
    LatencyP50,
    LatencyP99,
    Restarts,
    CpuPerRequest,
    MemoryGrowth,
    /// Not a guard: the samples themselves (e.g. they could not be
    /// collected).
    Samples,
}

impl Guard {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ErrorRate => "error_rate",
            Self::LatencyP50 => "latency_p50",
            Self::LatencyP99 => "latency_p99",
            Self::Restarts => "restarts",
            Self::CpuPerRequest => "cpu_per_request",
            Self::MemoryGrowth => "memory_growth",
            Self::Samples => "samples",
        }
    }
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A guard's (or a look's) conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Enough data, and no evidence of a regression beyond the dead band.
    Pass,
    /// Evidence of a regression beyond the dead band at the look's α.
    Fail,
    /// Not enough data to say either (below a minimum sample size, or an
    /// input missing). Never turned into a pass.
    Inconclusive,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// One guard's conclusion with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardReport {
    pub guard: Guard,
    pub decision: Decision,
    /// One line for people: the numbers that decided, e.g.
    /// `candidate 6.1% 5xx (61/1000) vs stable 0.9% (45/5000), p=2e-9 < α=5e-4`.
    pub summary: String,
    /// The same numbers by name, for `--json` and the event log.
    pub evidence: BTreeMap<String, f64>,
    /// The replica the evidence is about, when it is one replica's (memory).
    pub replica: Option<ReplicaKey>,
}

impl GuardReport {
    pub fn new(guard: Guard, decision: Decision, summary: impl Into<String>) -> Self {
        Self {
            guard,
            decision,
            summary: summary.into(),
            evidence: BTreeMap::new(),
            replica: None,
        }
    }

    /// Adds one named number.
    pub fn with(mut self, name: &str, value: f64) -> Self {
        self.evidence.insert(name.to_owned(), value);
        self
    }

    pub fn about(mut self, replica: ReplicaKey) -> Self {
        self.replica = Some(replica);
        self
    }
}

impl fmt::Display for GuardReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.guard,
            self.decision.as_str(),
            self.summary
        )
    }
}

/// The conclusion of one look: every enabled guard's report. It fails when
/// any guard fails, is inconclusive when none fails and any is
/// inconclusive, and passes only when every guard passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    pub reports: Vec<GuardReport>,
}

impl Verdict {
    pub fn from_reports(reports: Vec<GuardReport>) -> Self {
        let decision = if reports.iter().any(|r| r.decision == Decision::Fail) {
            Decision::Fail
        } else if reports.iter().any(|r| r.decision == Decision::Inconclusive) {
            Decision::Inconclusive
        } else {
            Decision::Pass
        };
        Self { decision, reports }
    }

    /// A verdict that could not be computed (e.g. the samples could not be
    /// collected): inconclusive, with the reason.
    pub fn unavailable(guard: Guard, reason: impl Into<String>) -> Self {
        Self::from_reports(vec![GuardReport::new(
            guard,
            Decision::Inconclusive,
            reason,
        )])
    }

    /// The first failing guard's report.
    pub fn failing(&self) -> Option<&GuardReport> {
        self.reports.iter().find(|r| r.decision == Decision::Fail)
    }

    /// The reports that kept the verdict from passing (inconclusive ones).
    pub fn pending(&self) -> impl Iterator<Item = &GuardReport> {
        self.reports
            .iter()
            .filter(|r| r.decision == Decision::Inconclusive)
    }
}

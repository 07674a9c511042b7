//! Mapping the rollout driver's `DeployEvent`s to the stream's
//! `DeployProgress` items.

use daytwo_api::DeployProgress;
use daytwo_rollout::DeployEvent;
use tokio::sync::mpsc;

/// Turns the driver's events into the stream's items.
pub(super) fn reporter(progress: mpsc::UnboundedSender<DeployProgress>) -> impl FnMut(DeployEvent) {
    move |event| {
        let item = match event {
            DeployEvent::PhaseStarted { phase } => DeployProgress::StepStarted {
                step: phase.as_str().to_string(),
                message: String::new(),
            },
            DeployEvent::PhaseFinished { phase, elapsed } => DeployProgress::StepFinished {
                step: phase.as_str().to_string(),
                message: String::new(),
                elapsed_ms: elapsed.as_millis() as u64,
                ok: true,
            },
            DeployEvent::StepDone {
                phase,
                description,
                elapsed,
                error,
            } => DeployProgress::StepFinished {
                step: phase.as_str().to_string(),
                message: match &error {
                    Some(error) => format!("{description}: {error}"),
                    None => description,
                },
                elapsed_ms: elapsed.as_millis() as u64,
                ok: error.is_none(),
            },
        };
        let _ = progress.send(item);
    }
}

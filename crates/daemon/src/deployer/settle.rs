//! Settling a finished deploy: the env's record, routing and warm release;
//! an unresolved one is reconciled from what runs.

use super::{DeployKind, Deployer};
use crate::local_target::LocalTarget;
use daytwo_rollout::{DeployOutcome, DeployPlan, TokioClock, Verdict, apply_reconcile, reconcile};
use daytwo_spec::EnvSpec;
use daytwo_store::DeploymentEnd;

impl Deployer {
    /// Brings the env's record, routing and warm release in line with the
    /// outcome, and says how history records it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn settle(
        &self,
        env: &str,
        kind: DeployKind,
        plan: &DeployPlan,
        to_spec: &EnvSpec,
        target: &LocalTarget,
        outcome: DeployOutcome,
        first: bool,
        note: Option<String>,
    ) -> DeploymentEnd {
        let now = jiff::Timestamp::now;
        let with_note = |message: String| match &note {
            Some(note) => format!("{note}; {message}"),
            None => message,
        };
        match outcome {
            DeployOutcome::Succeeded { warm } => {
                if let Err(error) = self
                    .record_release(env, &plan.to, Some(to_spec), target.routing())
                    .await
                {
                    tracing::error!("cannot record the release of env `{env}`: {error:?}");
                }
                if let Some(previous) = self.warm.take(env) {
                    let _ = self.engine.stop_replicas(previous.replicas).await;
                    self.persist.flush().await;
                }
                if let Some(warm) = warm {
                    self.warm.keep(
                        env,
                        warm,
                        self.locks.clone(),
                        self.engine.clone(),
                        self.persist.clone(),
                    );
                }
                DeploymentEnd {
                    outcome: "succeeded".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!(
                        "{} {} serves env `{env}`",
                        kind.as_str(),
                        plan.to
                    ))),
                    logs: Vec::new(),
                }
            }
            DeployOutcome::Failed(failure) | DeployOutcome::RolledBack(failure) => {
                if first {
                    self.forget_env(env).await;
                }
                let serving = match &plan.from {
                    Some(from) => format!("{from} keeps serving"),
                    None => "nothing was serving".to_string(),
                };
                DeploymentEnd {
                    outcome: "failed".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!("{failure}; {serving}"))),
                    logs: failure.logs,
                }
            }
            DeployOutcome::Unresolved { failure, error } => {
                let (_, verdict) = self.reconcile_now(env, plan, target).await;
                DeploymentEnd {
                    outcome: "failed".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!(
                        "{failure}; restoring the routing failed ({error}); {verdict}"
                    ))),
                    logs: failure.logs,
                }
            }
        }
    }

    /// Reconciles `plan`'s env from what runs; returns the verdict (`None`
    /// when the env could not be observed) and what happened, in words.
    pub(crate) async fn reconcile_now(
        &self,
        env: &str,
        plan: &DeployPlan,
        target: &LocalTarget,
    ) -> (Option<Verdict>, String) {
        use daytwo_rollout::Target;
        let observed = match target.observe(env).await {
            Ok(observed) => observed,
            Err(error) => return (None, format!("cannot observe the env: {error}")),
        };
        let decision = reconcile(plan, &observed);
        let applied = apply_reconcile(
            env,
            &decision,
            &observed,
            plan.drain_timeout,
            target,
            &TokioClock,
        )
        .await;
        match &decision.release {
            Some(release) => {
                let spec = target.spec_of(release);
                if let Err(error) = self
                    .record_release(env, release, spec.as_ref(), Some(decision.routing.clone()))
                    .await
                {
                    tracing::error!("cannot record the release of env `{env}`: {error:?}");
                }
            }
            None => self.forget_env(env).await,
        }
        let ends = match (&decision.verdict, &decision.release) {
            (Verdict::FinishOnNew, Some(release)) => {
                format!("finished on the new release {release}")
            }
            (_, Some(release)) => format!("back on the old release {release}"),
            (_, None) => "back to nothing running (it was the env's first deploy)".to_string(),
        };
        let said = match applied {
            Ok(()) => ends,
            Err(error) => format!("{ends}, but {error}"),
        };
        (Some(decision.verdict), said)
    }
}

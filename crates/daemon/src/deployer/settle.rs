//! Settling a finished deploy: the env's record, routing and warm release;
//! an unresolved one is reconciled from what runs. A canary's end is also
//! written to the env's event log (`canary.promoted`, `canary.rolled_back`)
//! and a failed guard opens an incident (closed once the rollback is done).

use super::{DeployKind, Deployer};
use crate::deploy_record::stored;
use crate::local_target::LocalTarget;
use daytwo_rollout::{
    DeployOutcome, DeployPlan, FailureReason, Strategy, TokioClock, Verdict, apply_reconcile,
    reconcile,
};
use daytwo_spec::EnvSpec;
use daytwo_store::{DeploymentEnd, NewEvent, NewIncident, RUNNING};

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
        let outcome_name = outcome.as_str().to_string();
        let failed_guard = outcome.failed_guard().map(str::to_string);
        let incident = self.record_canary_end(env, plan, target, &outcome).await;
        let with_incident = |message: String| match incident {
            Some(id) => format!("{message}; incident #{id}"),
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
                    failed_guard: None,
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
                    // `failed`, or `rolled_back` when the switch had begun.
                    outcome: outcome_name,
                    finished_at: now(),
                    message: Some(with_incident(with_note(format!("{failure}; {serving}")))),
                    logs: failure.logs,
                    failed_guard,
                }
            }
            DeployOutcome::Unresolved { failure, error } => {
                let (_, verdict) = self.reconcile_now(env, plan, target).await;
                DeploymentEnd {
                    outcome: "failed".to_string(),
                    finished_at: now(),
                    message: Some(with_incident(with_note(format!(
                        "{failure}; restoring the routing failed ({error}); {verdict}"
                    )))),
                    logs: failure.logs,
                    failed_guard,
                }
            }
        }
    }

    /// A canary's end in the env's event log; a failed guard opens an
    /// incident (about the candidate, from the failing look to now),
    /// closed when the rollback restored the routing. Returns the
    /// incident's id. Nothing for other strategies, or for a canary of a
    /// first deploy (it switched like blue-green: nothing to compare with).
    async fn record_canary_end(
        &self,
        env: &str,
        plan: &DeployPlan,
        target: &LocalTarget,
        outcome: &DeployOutcome,
    ) -> Option<i64> {
        if !matches!(plan.strategy, Strategy::Canary { .. }) {
            return None;
        }
        let from = plan.from.as_ref()?;
        let to = &plan.to;
        let event = |kind: &str, message: String| NewEvent {
            env: Some(env.to_string()),
            ..NewEvent::new(kind, message)
        };
        let mut events = Vec::new();
        let mut incident = None;
        // The rollback is the remediation: its incident is over with it.
        let close = matches!(outcome, DeployOutcome::RolledBack(_));
        match outcome {
            DeployOutcome::Succeeded { .. } => events.push(event(
                "canary.promoted",
                format!("canary of {to} passed every step: promoted to 100 %, {from} retired"),
            )),
            DeployOutcome::Failed(_) => {}
            DeployOutcome::RolledBack(failure) | DeployOutcome::Unresolved { failure, .. } => {
                let restored = matches!(outcome, DeployOutcome::RolledBack(_));
                let what = match &failure.reason {
                    FailureReason::AnalysisInconclusive { .. } => {
                        format!("{}: failed closed", failure.reason)
                    }
                    _ => failure.to_string(),
                };
                if let FailureReason::GuardFailed { guard, .. } = &failure.reason {
                    let summary = if restored {
                        format!("{what}; rolled back automatically, {from} serves")
                    } else {
                        format!("{what}; the routing could not be restored")
                    };
                    incident = Some(NewIncident {
                        env: env.to_string(),
                        release: Some(stored(to)),
                        deployment_id: None,
                        opened_at: target.failed_at().unwrap_or_else(jiff::Timestamp::now),
                        guard: Some(guard.clone()),
                        summary,
                    });
                }
                if restored {
                    events.push(event(
                        "canary.rolled_back",
                        format!("canary of {to} rolled back: {what}; {from} keeps serving"),
                    ));
                }
            }
        }
        let name = env.to_string();
        let recorded = self
            .store
            .call(move |store| {
                let mut id = None;
                if let Some(mut incident) = incident {
                    incident.deployment_id = store
                        .deployments(Some(&name))?
                        .into_iter()
                        .find(|row| row.outcome == RUNNING)
                        .map(|row| row.id);
                    let opened = store.open_incident(&incident)?;
                    store.append_event(NewEvent {
                        env: Some(name.clone()),
                        ..NewEvent::new(
                            "incident.opened",
                            format!("incident #{opened}: {}", incident.summary),
                        )
                    })?;
                    id = Some(opened);
                }
                for mut event in events {
                    if let Some(id) = id {
                        event.message = format!("{}; incident #{id}", event.message);
                    }
                    store.append_event(event)?;
                }
                if let Some(id) = id
                    && close
                {
                    store.close_incident(id, jiff::Timestamp::now(), None)?;
                }
                Ok::<_, daytwo_store::StoreError>(id)
            })
            .await;
        if let Ok(Some(id)) = recorded {
            // The env's `[alerts] webhooks` hear of it (crate::watch::notify).
            crate::watch::alert_canary_guard(self, env, plan, target, outcome, id);
        }
        match recorded {
            Ok(id) => id,
            Err(error) => {
                tracing::error!("cannot record the end of the canary in env `{env}`: {error}");
                None
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

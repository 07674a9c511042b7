//! Alerts with a trace in the event log: every delivery of a webhook
//! message is written to the env's log as `alert.sent` or `alert.failed`,
//! so an incident's timeline shows who was told, when, and whether it
//! arrived. Also the alert of a canary rolled back by a guard, which the
//! deployer raises when it records the canary's end.

use crate::alerts::{Alert, AlertSender, redact};
use crate::deployer::Deployer;
use crate::local_target::LocalTarget;
use crate::store_handle::StoreHandle;
use daytwo_rollout::{DeployOutcome, DeployPlan, FailureReason};
use daytwo_store::NewEvent;

/// POSTs `alert` to every URL of `urls` (nothing without URLs) and records
/// how each delivery ended, naming `incident` when there is one. Returns
/// when every delivery ended (at most [`AlertSender::max_duration`]).
pub(crate) async fn send_and_record(
    sender: &AlertSender,
    store: &StoreHandle,
    urls: &[String],
    alert: &Alert,
    incident: Option<i64>,
) {
    if urls.is_empty() {
        return;
    }
    let deliveries = sender.send(urls, alert).await;
    let what = format!(
        "alert {} {} ({} of {} {} in env {})",
        alert.name,
        alert.status.as_str(),
        alert.guard,
        alert.app,
        alert.release,
        alert.env
    );
    let about = incident
        .map(|id| format!("; incident #{id}"))
        .unwrap_or_default();
    let events: Vec<NewEvent> = deliveries
        .iter()
        .map(|delivery| {
            let (kind, message) = match &delivery.result {
                Ok(status) => (
                    "alert.sent",
                    format!(
                        "{what} delivered to {} (HTTP {status}){about}",
                        redact(&delivery.url)
                    ),
                ),
                Err(error) => (
                    "alert.failed",
                    format!(
                        "{what} not delivered to {} after {} attempt(s): {error}{about}",
                        redact(&delivery.url),
                        delivery.attempts
                    ),
                ),
            };
            NewEvent {
                env: Some(alert.env.clone()),
                ..NewEvent::new(kind, message)
            }
        })
        .collect();
    let recorded = store
        .call(move |store| {
            for event in events {
                store.append_event(event)?;
            }
            Ok(())
        })
        .await;
    if let Err(error) = recorded {
        tracing::error!("cannot record the delivery of an alert: {error}");
    }
}

/// The alert of a canary a guard failed (incident `incident`): firing,
/// to the env's `[alerts] webhooks`; when the rollback restored the
/// routing (the incident is closed already), the same alert resolved right
/// after it, so receivers that track alerts see it end. Sent in the
/// background: the deploy does not wait for it.
pub(crate) fn alert_canary_guard(
    deployer: &Deployer,
    env: &str,
    plan: &DeployPlan,
    target: &LocalTarget,
    outcome: &DeployOutcome,
    incident: i64,
) {
    let (failure, restored) = match outcome {
        DeployOutcome::RolledBack(failure) => (failure, true),
        DeployOutcome::Unresolved { failure, .. } => (failure, false),
        _ => return,
    };
    let FailureReason::GuardFailed {
        guard,
        weight_percent,
        ..
    } = &failure.reason
    else {
        return;
    };
    let spec = target
        .spec_of(&plan.to)
        .or_else(|| plan.from.as_ref().and_then(|from| target.spec_of(from)));
    let Some(spec) = spec else {
        return;
    };
    if spec.alerts.webhooks.is_empty() {
        return;
    }
    let to = &plan.to;
    let serving = match (&plan.from, restored) {
        (Some(from), true) => format!("rolled back automatically, {from} serves"),
        (_, true) => "rolled back automatically".to_string(),
        (_, false) => "the routing could not be restored: check `daytwo status`".to_string(),
    };
    let alert = Alert::guard_failed(
        spec.app.clone(),
        env,
        to.version.clone(),
        guard.clone(),
        format!(
            "canary of {} {} in {env} failed the {guard} guard at {weight_percent} %: {}",
            spec.app,
            to.version,
            if restored {
                "rolled back"
            } else {
                "NOT restored"
            }
        ),
        format!("{failure}; {serving}; incident #{incident}"),
        target.failed_at().unwrap_or_else(jiff::Timestamp::now),
    );
    let sender = deployer.alerts.clone();
    let store = deployer.store.clone();
    let urls = spec.alerts.webhooks;
    tokio::spawn(async move {
        send_and_record(&sender, &store, &urls, &alert, Some(incident)).await;
        if restored {
            let resolved = alert.resolved(jiff::Timestamp::now());
            send_and_record(&sender, &store, &urls, &resolved, Some(incident)).await;
        }
    });
}

//! Running an env's declared remediation when its watch fires: `alert`
//! (nothing changes), `flag-off NAME` (exactly what `daytwo flags set NAME
//! false --env ENV --reason …` does, as user `daytwo`), or `rollback`
//! (what `daytwo rollback --env ENV` does, with the guard in history's
//! message). Each writes its outcome to the env's event log.

use super::WATCH_USER;
use crate::deployer::Deployer;
use daytwo_api::DeployProgress;
use daytwo_rollout::analysis::Remediation;
use daytwo_store::NewEvent;
use serde_json::Value;

/// What the remediation did (`Ok`) or why it could not (`Err`), in words.
pub(super) type Outcome = Result<String, String>;

/// Runs `remediation` in `env`; `reason` says why (the guard, its
/// numbers, the incident) and goes into the flag history or the deploy
/// history. Writes `watch.alert`, `watch.remediated` or
/// `watch.remediation_failed` (naming `incident`).
pub(super) async fn remediate(
    deployer: &Deployer,
    env: &str,
    remediation: &Remediation,
    reason: String,
    incident: Option<i64>,
) -> Outcome {
    let outcome = match remediation {
        Remediation::Alert => Ok(format!(
            "remediation is `alert`: nothing was changed in env {env}"
        )),
        Remediation::FlagOff(flag) => flag_off(deployer, env, flag, &reason).await,
        Remediation::Rollback => rollback(deployer, env, reason).await,
    };
    let about = incident
        .map(|id| format!("; incident #{id}"))
        .unwrap_or_default();
    let (kind, message) = match (&outcome, remediation) {
        (Ok(done), Remediation::Alert) => ("watch.alert", format!("{done}{about}")),
        (Ok(done), _) => ("watch.remediated", format!("{done}{about}")),
        (Err(why), _) => (
            "watch.remediation_failed",
            format!("remediation `{}` failed: {why}{about}", name(remediation)),
        ),
    };
    let event = NewEvent {
        env: Some(env.to_string()),
        ..NewEvent::new(kind, message)
    };
    if let Err(error) = deployer
        .store
        .call(move |store| store.append_event(event))
        .await
    {
        tracing::error!("cannot record the remediation in env `{env}`: {error}");
    }
    outcome
}

/// `alert`, `rollback` or `flag-off NAME`, as the spec writes it.
pub(super) fn name(remediation: &Remediation) -> String {
    match remediation {
        Remediation::Alert => "alert".to_string(),
        Remediation::Rollback => "rollback".to_string(),
        Remediation::FlagOff(flag) => format!("flag-off {flag}"),
    }
}

async fn flag_off(deployer: &Deployer, env: &str, flag: &str, reason: &str) -> Outcome {
    if let Some(handle) = deployer.flags.handle(env).await
        && handle
            .snapshot()
            .flags
            .get(flag)
            .is_some_and(|served| served.value == Value::Bool(false))
    {
        return Err(format!(
            "flag {flag} is off in env {env} already: the leak has another cause"
        ));
    }
    let (served, change) = deployer
        .flags
        .set_at_run_time(env, flag, Value::Bool(false), WATCH_USER, reason)
        .await
        .map_err(|error| error.to_string())?;
    Ok(format!(
        "flag {flag} turned off in env {env} ({} → {}, flag change #{})",
        change.old_json, served.value, change.id
    ))
}

async fn rollback(deployer: &Deployer, env: &str, reason: String) -> Outcome {
    let mut progress = deployer
        .rollback_because(env, WATCH_USER, reason)
        .await
        .map_err(|error| error.to_string())?;
    let mut record = None;
    while let Some(item) = progress.recv().await {
        if let DeployProgress::Result { record: done } = item {
            record = Some(done);
        }
    }
    let record = record.ok_or("the rollback ended without a result (see the daemon's log)")?;
    let from = record
        .from
        .as_ref()
        .map(|from| format!(" from {}", from.version))
        .unwrap_or_default();
    if record.outcome == "succeeded" {
        Ok(format!(
            "env {env} rolled back{from} to {} (deployment #{})",
            record.to.version, record.id
        ))
    } else {
        Err(format!(
            "the rollback{from} to {} (deployment #{}) ended `{}`: {}",
            record.to.version,
            record.id,
            record.outcome,
            record.message.as_deref().unwrap_or("no message")
        ))
    }
}

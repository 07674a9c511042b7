//! After re-adoption, a starting daemon settles what its predecessor left
//! half-done:
//!
//! - a deployment still `running` in history was interrupted: its env is
//!   reconciled from what actually runs and is routed (`daytwo_rollout::
//!   reconcile`, level-triggered), ends fully on one release, and the row is
//!   finished `reconciled-new` or `reconciled-old`;
//! - replicas of another release in a deployed env (warm replicas whose
//!   window the dead daemon was keeping) are stopped: the in-memory warm
//!   window did not survive, so a rollback after a restart is cold.

use crate::DaemonError;
use crate::adopt::release_spec;
use crate::deploy_record::{engine_release, env_release};
use crate::deployer::{Deployer, parse_routing};
use crate::env_routes::EnvRoute;
use crate::local_target::{LocalTarget, LocalTargetParts, RunnableRelease};
use daytwo_rollout::{DeployPlan, Verdict};
use daytwo_spec::EnvSpec;
use daytwo_store::{DeploymentEnd, DeploymentRecord, EnvRecord, NewEvent, ReleaseRecord};
use std::collections::BTreeSet;

pub(crate) async fn reconcile_at_start(deployer: &Deployer) -> Result<(), DaemonError> {
    let (running, envs, releases) = deployer
        .store
        .call(|store| {
            Ok((
                store.running_deployments()?,
                store.envs()?,
                store.releases()?,
            ))
        })
        .await?;
    let mut settled = BTreeSet::new();
    for row in running {
        settled.insert(row.env.clone());
        let id = row.id;
        let env = row.env.clone();
        let end = reconcile_one(deployer, row, &envs, &releases).await;
        tracing::warn!(
            "deployment {id} of env `{env}` was interrupted: {}",
            end.message.as_deref().unwrap_or("")
        );
        let event = NewEvent {
            env: Some(env),
            ..NewEvent::new(
                "deploy.reconciled",
                format!(
                    "deployment {id} {}: {}",
                    end.outcome,
                    end.message.clone().unwrap_or_default()
                ),
            )
        };
        deployer
            .store
            .call(move |store| {
                store.finish_deployment(id, &end)?;
                store.append_event(event).map(drop)
            })
            .await?;
    }
    for record in envs
        .iter()
        .filter(|record| record.release_digest.is_some() && !settled.contains(&record.name))
    {
        let current = engine_release(record);
        let stray: Vec<_> = deployer
            .engine
            .replicas(Some(&record.name))
            .into_iter()
            .filter(|status| status.release != current)
            .map(|status| status.key)
            .collect();
        if !stray.is_empty() {
            tracing::info!(
                "stopping {} replicas of an earlier release in env `{}`",
                stray.len(),
                record.name
            );
            let _ = deployer.engine.stop_replicas(stray).await;
            deployer.persist.flush().await;
        }
    }
    Ok(())
}

async fn reconcile_one(
    deployer: &Deployer,
    row: DeploymentRecord,
    envs: &[EnvRecord],
    releases: &[ReleaseRecord],
) -> DeploymentEnd {
    let failed = |message: String| DeploymentEnd {
        outcome: "failed".to_string(),
        finished_at: jiff::Timestamp::now(),
        message: Some(message),
        logs: Vec::new(),
        failed_guard: None,
    };
    let Some(plan) = row
        .plan_json
        .as_deref()
        .and_then(|json| serde_json::from_str::<DeployPlan>(json).ok())
    else {
        return failed("the daemon stopped during this deploy and its plan is unreadable".into());
    };
    let env = row.env.as_str();
    let record = envs.iter().find(|record| record.name == env);
    let mut runnable = Vec::new();
    if let Some(spec) = release_spec(releases, &plan.to.digest, env) {
        runnable.push(RunnableRelease {
            reference: plan.to.clone(),
            spec,
        });
    }
    if let Some(record) = record
        && let Ok(spec) = serde_json::from_str::<EnvSpec>(&record.spec_json)
        && engine_release(record) != plan.to.digest
    {
        runnable.push(RunnableRelease {
            reference: env_release(record),
            spec,
        });
    }
    let has_listener = runnable
        .iter()
        .any(|release| EnvRoute::of(&release.spec).is_some());
    let target = LocalTarget::new(LocalTargetParts {
        engine: deployer.engine.clone(),
        routes: deployer.routes.clone(),
        store: deployer.store.clone(),
        persist: deployer.persist.clone(),
        home: deployer.home.clone(),
        releases: runnable,
        routing: record.and_then(|record| parse_routing(record.routing_json.as_deref())),
        has_listener,
        telemetry: deployer.telemetry.clone(),
    });
    let (verdict, said) = deployer.reconcile_now(env, &plan, &target).await;
    let outcome = match verdict {
        Some(Verdict::FinishOnNew) => "reconciled-new",
        Some(Verdict::BackToOld) => "reconciled-old",
        None => "failed",
    };
    DeploymentEnd {
        outcome: outcome.to_string(),
        finished_at: jiff::Timestamp::now(),
        message: Some(format!("the daemon stopped during this deploy; {said}")),
        logs: Vec::new(),
        failed_guard: None,
    }
}

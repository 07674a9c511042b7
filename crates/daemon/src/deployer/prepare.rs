//! Preparing a deploy: checks, the plan, the history row and the target.

use super::{DeployKind, Deployer, PreparedDeploy, parse_routing};
use crate::api_error::ApiError;
use crate::deploy_lock::DeployLockGuard;
use crate::deploy_record::{engine_release, env_release, stored};
use crate::env_routes::EnvRoute;
use crate::local_target::{LocalTarget, LocalTargetParts, RunnableRelease};
use crate::migrate_phase::MigrationPhase;
use daytwo_rollout::{DeployPlan, ReleaseRef, Rollback, Routing, SmokeCheck, Strategy};
use daytwo_spec::{EnvSpec, RolloutStrategy, Spec};
use daytwo_store::{DeploymentRecord, RUNNING, ReleaseRecord};
use std::time::Instant;

impl Deployer {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn prepare(
        &self,
        env: &str,
        kind: DeployKind,
        release: ReleaseRecord,
        strategy: Option<RolloutStrategy>,
        user: &str,
        allow_warm: bool,
        guard: DeployLockGuard,
    ) -> Result<PreparedDeploy, ApiError> {
        let record = self.env_record(env).await?;
        if let Some(record) = &record
            && record.app != release.app
        {
            return Err(ApiError::conflict(
                "wrong_app",
                format!(
                    "release {} is of app `{}`, env `{env}` runs app `{}`",
                    release.version, release.app, record.app
                ),
            ));
        }
        self.verify_for_env(env, &release).await?;
        let spec: Spec = serde_json::from_str(&release.spec_json).map_err(|error| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "store_error",
                format!(
                    "the stored spec of {} is unreadable: {error}",
                    release.digest
                ),
            )
        })?;
        let mut to_spec = spec.env(env).map_err(|error| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "env_not_declared",
                format!("release {}: {error}", release.version),
            )
            .with_hint(format!(
                "declare `[env.{env}]` in the spec and build again; this release knows: {}",
                spec.env_names().join(", ")
            ))
        })?;
        let migrate = MigrationPhase::of(&spec, env, &release.digest, &self.home);
        // The new release's flags (run-time values kept) are served from here on.
        self.flags.serve(&mut to_spec).await?;
        let to = ReleaseRef::new(release.version.clone(), release.digest.clone());
        let from = record.as_ref().map(env_release);
        let mut plan = DeployPlan::new(&to_spec, from.clone(), to.clone(), strategy);
        plan.smoke = spec.checks_for(env).smoke.as_ref().map(|smoke| SmokeCheck {
            command: smoke.command.clone(),
            timeout: smoke.timeout,
        });
        plan.warm_window = self.warm_window;

        let warm = if allow_warm {
            match Rollback::choose(self.warm.get(env).as_ref(), &to, Instant::now()) {
                Rollback::Warm(warm) => Some(warm),
                Rollback::Cold => None,
            }
        } else {
            None
        };
        if warm.is_some() {
            plan.strategy = Strategy::BlueGreen;
        }

        let mut releases = vec![RunnableRelease {
            reference: to.clone(),
            spec: to_spec.clone(),
        }];
        let (routing, current_spec) = match &record {
            Some(record) => {
                let current: EnvSpec =
                    serde_json::from_str(&record.spec_json).map_err(|error| {
                        ApiError::new(
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            "store_error",
                            format!("the stored spec of env `{env}` is unreadable: {error}"),
                        )
                    })?;
                if engine_release(record) != to.digest {
                    releases.push(RunnableRelease {
                        reference: env_release(record),
                        spec: current.clone(),
                    });
                }
                (parse_routing(record.routing_json.as_deref()), current)
            }
            None => (Some(Routing::empty()), to_spec.clone()),
        };
        let first = record.is_none();
        if first {
            self.record_first(env, &release, &to_spec).await?;
        }

        let plan_json = serde_json::to_string(&plan).expect("a plan serializes");
        let row = DeploymentRecord {
            id: 0,
            env: env.to_string(),
            kind: kind.as_str().to_string(),
            from: from.as_ref().map(stored),
            to: stored(&to),
            strategy: if warm.is_some() {
                "warm".to_string()
            } else {
                plan.strategy.to_string()
            },
            user: user.to_string(),
            started_at: jiff::Timestamp::now(),
            finished_at: None,
            outcome: RUNNING.to_string(),
            duration_ms: None,
            message: None,
            logs: Vec::new(),
            plan_json: Some(plan_json),
            failed_guard: None,
        };
        let id = self
            .store
            .call(move |store| store.start_deployment(&row))
            .await?;
        guard.set_id(id);
        let target = LocalTarget::new(LocalTargetParts {
            engine: self.engine.clone(),
            routes: self.routes.clone(),
            store: self.store.clone(),
            persist: self.persist.clone(),
            home: self.home.clone(),
            releases,
            routing,
            has_listener: EnvRoute::of(&current_spec).is_some() || EnvRoute::of(&to_spec).is_some(),
            telemetry: self.telemetry.clone(),
        });
        Ok(PreparedDeploy {
            env: env.to_string(),
            kind,
            plan,
            to_spec,
            target,
            warm,
            first,
            id,
            guard,
            migrate,
            note: None,
        })
    }
}

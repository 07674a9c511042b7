//! The env's stored record and listener as deploys change them, and the
//! deploy history.

use super::Deployer;
use crate::api_error::ApiError;
use crate::deploy_record::{api_record, digest_of};
use crate::env_routes::EnvRoute;
use daytwo_api::DeployRecord;
use daytwo_rollout::{ReleaseRef, Routing};
use daytwo_spec::EnvSpec;
use daytwo_store::{EnvRecord, ReleaseRecord};

impl Deployer {
    /// A first deploy: the env gets its record (so its replicas are stored)
    /// and its listener, with nothing routed yet.
    pub(super) async fn record_first(
        &self,
        env: &str,
        release: &ReleaseRecord,
        spec: &EnvSpec,
    ) -> Result<(), ApiError> {
        let empty = Routing::empty();
        let record = EnvRecord {
            name: env.to_string(),
            app: release.app.clone(),
            spec_json: serde_json::to_string(spec).expect("a spec serializes"),
            release: release.version.clone(),
            release_digest: Some(release.digest.clone()),
            routing_json: Some(serde_json::to_string(&empty).expect("a routing serializes")),
            listen: spec.listen.map(|addr| addr.to_string()),
            spec_file: spec.file.display().to_string(),
            updated_at: jiff::Timestamp::now(),
        };
        self.store.call(move |store| store.put_env(&record)).await?;
        if let Some(route) = EnvRoute::of(spec)
            && let Err(error) = self.routes.set_env(route.with_routing(Some(empty))).await
        {
            let name = env.to_string();
            self.store
                .call(move |store| store.delete_env(&name).map(drop))
                .await?;
            return Err(error.into());
        }
        Ok(())
    }

    /// Records that `env` runs `release` (with `spec` when it changed) and
    /// routes `routing`.
    pub(super) async fn record_release(
        &self,
        env: &str,
        release: &ReleaseRef,
        spec: Option<&EnvSpec>,
        routing: Option<Routing>,
    ) -> Result<(), ApiError> {
        let name = env.to_string();
        let Some(mut record) = self.store.call(move |store| store.env(&name)).await? else {
            return Ok(());
        };
        if let Some(spec) = spec {
            record.app = spec.app.clone();
            record.spec_json = serde_json::to_string(spec).expect("a spec serializes");
            record.listen = spec.listen.map(|addr| addr.to_string());
            record.spec_file = spec.file.display().to_string();
        }
        record.release = release.version.clone();
        record.release_digest = digest_of(release);
        record.routing_json = routing
            .as_ref()
            .map(|routing| serde_json::to_string(routing).expect("a routing serializes"));
        record.updated_at = jiff::Timestamp::now();
        let route = serde_json::from_str::<EnvSpec>(&record.spec_json)
            .ok()
            .and_then(|spec| EnvRoute::of(&spec));
        self.store.call(move |store| store.put_env(&record)).await?;
        match route {
            Some(route) => self.routes.set_env(route.with_routing(routing)).await?,
            None => self.routes.remove_env(env).await?,
        }
        Ok(())
    }

    /// A first deploy that did not make it: nothing runs, the env is gone.
    pub(super) async fn forget_env(&self, env: &str) {
        if let Err(error) = self.routes.remove_env(env).await {
            tracing::error!("cannot remove the listener of env `{env}`: {error}");
        }
        let name = env.to_string();
        if let Err(error) = self
            .store
            .call(move |store| store.delete_env(&name).map(drop))
            .await
        {
            tracing::error!("cannot forget env `{env}`: {error}");
        }
    }

    /// `GET /v1/history`.
    pub(crate) async fn history(&self, env: Option<String>) -> Result<Vec<DeployRecord>, ApiError> {
        let rows = self
            .store
            .call(move |store| store.deployments(env.as_deref()))
            .await?;
        Ok(rows.into_iter().map(api_record).collect())
    }
}

pub(crate) fn parse_routing(json: Option<&str>) -> Option<Routing> {
    json.and_then(|json| match serde_json::from_str(json) {
        Ok(routing) => Some(routing),
        Err(error) => {
            tracing::warn!(
                "a stored routing is unreadable, routing every healthy replica: {error}"
            );
            None
        }
    })
}

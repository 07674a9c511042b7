//! One env's watch: every `analysis_interval` a look at the release that
//! serves it alone, over the sliding window; when the watch fires, the
//! incident, the remediation and the alert; when it clears, the resolved
//! alert and the incident's close.
//!
//! ```text
//! look: deploy lock held? ─yes─> skip (remember: the release starts over)
//!       env record ─> serving release (routing's stable group; none while a candidate is routed)
//!       new release / redeploy / new settings ─> start over: fresh SteadyWatch, warm-up, close an open incident
//!       window = max(now − window, start + warm-up) ..= now ─> GroupSamples ─> SteadyWatch::look
//!       fired ─> watch.guard_failed, incident.opened, remediation, alert (firing)
//!       cleared ─> watch.cleared, alert (resolved), incident closed
//! ```

use super::notify::send_and_record;
use super::remediate::{self, remediate};
use super::settings::{MIN_INTERVAL, WatchSettings};
use crate::alerts::Alert;
use crate::deployer::{Deployer, parse_routing};
use daytwo_engine::ReplicaStatus;
use daytwo_rollout::Routing;
use daytwo_rollout::analysis::memory_growth::rate;
use daytwo_rollout::analysis::{
    GroupSamples, Guard, GuardReport, Incident, SteadyWatch, WatchConfig,
};
use daytwo_spec::EnvSpec;
use daytwo_store::{DeployedRelease, NewEvent, NewIncident};
use daytwo_types::ReplicaKey;
use jiff::Timestamp;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The first look comes this soon after the watch starts (later ones at
/// the env's `analysis_interval`).
const FIRST_LOOK: Duration = Duration::from_secs(1);
/// The lock of a warm release's expiry changes nothing that serves.
const WARM_EXPIRY: &str = "warm-expiry";

/// The watch of one env, until the env goes away (or the daemon stops).
pub(super) struct EnvWatch {
    env: String,
    deployer: Deployer,
    settings: WatchSettings,
    interval: Duration,
    watched: Option<Watched>,
    /// A deploy, promote or rollback held the env's lock since the last look.
    deployed: bool,
}

/// The release under watch.
struct Watched {
    /// The engine's (and the proxy's) release string: the digest, or
    /// `working-tree` for `daytwo up`.
    release: String,
    version: String,
    config: WatchConfig,
    watch: SteadyWatch,
    /// When it began serving alone (or the last deploy of the env ended).
    since: Instant,
    incident: Option<OpenIncident>,
}

/// An incident the watch opened and has not closed yet.
struct OpenIncident {
    id: Option<i64>,
    guard: String,
    /// The firing alert; its resolved twin is sent at the close.
    alert: Alert,
    urls: Vec<String>,
    /// What was seen and what was done, for the incident's record.
    summary: String,
}

/// What one look finds in the env.
enum Found {
    /// The env's record is gone (`daytwo down`): the watch ends.
    Gone,
    /// Nothing to look at now (a candidate is routed, the record is
    /// unreadable, the store failed).
    Nothing,
    Serving(Box<Serving>),
}

struct Serving {
    release: String,
    version: String,
    digest: Option<String>,
    spec: EnvSpec,
}

impl EnvWatch {
    pub(super) fn new(env: String, deployer: Deployer, settings: WatchSettings) -> Self {
        Self {
            env,
            deployer,
            settings,
            interval: FIRST_LOOK,
            watched: None,
            deployed: false,
        }
    }

    /// Looks every interval until `stop` is cancelled or the env is gone.
    pub(super) async fn run(mut self, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
            if !self.look().await {
                return;
            }
        }
    }

    /// One look; `false` when the env is gone and the watch ends.
    async fn look(&mut self) -> bool {
        if let Some(holder) = self.deployer.locks.holder(&self.env) {
            if holder.kind != WARM_EXPIRY {
                self.deployed = true;
            }
            return true;
        }
        let serving = match self.serving().await {
            Found::Gone => {
                if let Some(watched) = self.watched.take()
                    && let Some(incident) = watched.incident
                {
                    let why = format!("env {} was taken down", self.env);
                    self.close(incident, &watched.version, why).await;
                }
                return false;
            }
            Found::Nothing => return true,
            Found::Serving(serving) => serving,
        };
        let guards = &serving.spec.rollout.guards;
        self.interval = guards.analysis_interval.max(MIN_INTERVAL);
        let config = WatchConfig::from_spec(guards);
        let unchanged = !self.deployed
            && self
                .watched
                .as_ref()
                .is_some_and(|w| w.release == serving.release && w.config == config);
        if !unchanged {
            self.start_over(&serving, config).await;
            return true;
        }
        let watched = self.watched.as_mut().expect("checked above");
        let statuses: Vec<ReplicaStatus> = self
            .deployer
            .engine
            .replicas(Some(&self.env))
            .into_iter()
            .filter(|status| status.release == serving.release)
            .collect();
        let replicas: Vec<ReplicaKey> = statuses.iter().map(|status| status.key.clone()).collect();
        if replicas.is_empty() {
            return true;
        }
        let now = Instant::now();
        let settled = watched.since + self.settings.warm_up();
        let from = now
            .checked_sub(self.settings.window)
            .map_or(settled, |start| start.max(settled));
        if from >= now {
            return true;
        }
        let limit = |replica: &ReplicaKey| {
            serving
                .spec
                .processes
                .get(&replica.process)
                .and_then(|process| process.memory_limit)
        };
        let mut samples = self.deployer.telemetry.group_window(
            &self.env,
            &serving.release,
            &replicas,
            from,
            now,
            &limit,
        );
        skip_warm_up(&mut samples, &statuses, from, now, self.settings.warm_up());
        if tracing::enabled!(tracing::Level::DEBUG) {
            for report in watched.watch.evaluate(&samples) {
                tracing::debug!(env = %self.env, release = %watched.version, "watch look: {report}");
            }
        }
        let was_firing = watched.watch.is_firing();
        if let Some(incident) = watched.watch.look(&samples) {
            let open = self.fire(&serving, incident).await;
            if let Some(watched) = self.watched.as_mut() {
                watched.incident = Some(open);
            }
        } else if was_firing
            && !watched.watch.is_firing()
            && let Some(incident) = watched.incident.take()
        {
            let version = watched.version.clone();
            let why = format!(
                "{} passes again ({} clean looks in a row)",
                incident.guard,
                watched.watch.config().clear_after
            );
            self.close(incident, &version, why).await;
        }
        true
    }

    /// The release that serves the env alone, with its spec.
    async fn serving(&self) -> Found {
        let name = self.env.clone();
        let record = match self
            .deployer
            .store
            .call(move |store| store.env(&name))
            .await
        {
            Ok(Some(record)) => record,
            Ok(None) => return Found::Gone,
            Err(error) => {
                tracing::warn!("watch of env `{}`: {error}", self.env);
                return Found::Nothing;
            }
        };
        let spec: EnvSpec = match serde_json::from_str(&record.spec_json) {
            Ok(spec) => spec,
            Err(error) => {
                tracing::warn!(
                    "watch of env `{}`: its stored spec is unreadable: {error}",
                    self.env
                );
                return Found::Nothing;
            }
        };
        let (release, version) = match parse_routing(record.routing_json.as_deref()) {
            // A canary's split (or one that could not be undone): not steady.
            Some(Routing {
                candidate: Some(_), ..
            }) => return Found::Nothing,
            Some(Routing {
                stable: Some(group),
                ..
            }) => (group.release.digest, group.release.version),
            _ => (
                record
                    .release_digest
                    .clone()
                    .unwrap_or_else(|| record.release.clone()),
                record.release.clone(),
            ),
        };
        Found::Serving(Box::new(Serving {
            release,
            version,
            digest: record.release_digest,
            spec,
        }))
    }

    /// A new release serves (or the env was redeployed, or its settings
    /// changed): a fresh watch from now on; an open incident of what
    /// served before ends.
    async fn start_over(&mut self, serving: &Serving, config: WatchConfig) {
        self.deployed = false;
        if let Some(previous) = self.watched.take()
            && let Some(incident) = previous.incident
        {
            let why = if previous.release != serving.release {
                format!(
                    "{} serves env {} now, {} no longer does",
                    serving.version, self.env, previous.version
                )
            } else if previous.config != config {
                format!("the watch's settings of env {} changed", self.env)
            } else {
                format!("env {} was redeployed", self.env)
            };
            self.close(incident, &previous.version, why).await;
        }
        tracing::debug!(
            env = %self.env,
            release = %serving.version,
            "the steady-state watch starts on {}",
            serving.version
        );
        self.watched = Some(Watched {
            release: serving.release.clone(),
            version: serving.version.clone(),
            watch: SteadyWatch::new(config.clone()),
            config,
            since: Instant::now(),
            incident: None,
        });
    }

    /// The watch fired: record it, open the incident, remediate, alert.
    async fn fire(&self, serving: &Serving, incident: Incident) -> OpenIncident {
        let detected = Timestamp::now();
        let env = &self.env;
        let app = &serving.spec.app;
        let version = &serving.version;
        let report = &incident.report;
        let guard = report.guard.as_str().to_string();
        let remediation = remediate::name(&incident.remediation);
        let confirmations = self
            .watched
            .as_ref()
            .map_or(1, |watched| watched.config.confirmations.max(1));
        let max_growth = self
            .watched
            .as_ref()
            .and_then(|watched| watched.config.memory_growth)
            .map(|memory| memory.max_growth_bytes_per_sec);
        let measured = measured(report, max_growth);
        tracing::warn!("env `{env}`: {guard} failed for {version}: {measured}");
        let failed = NewEvent {
            env: Some(env.clone()),
            replica: report.replica.clone(),
            ..NewEvent::new(
                "watch.guard_failed",
                format!(
                    "steady-state watch: {guard} failed for {app} {version} in env {env} \
                     ({confirmations} failing look(s) in a row): {measured}; remediation: {remediation}"
                ),
            )
        };
        let opened = NewIncident {
            env: env.clone(),
            release: Some(DeployedRelease {
                version: version.clone(),
                digest: serving.digest.clone(),
            }),
            deployment_id: None,
            opened_at: detected,
            guard: Some(guard.clone()),
            summary: format!("{guard} failed after promotion: {measured}"),
        };
        let name = env.clone();
        let id = self
            .deployer
            .store
            .call(move |store| {
                store.append_event(failed)?;
                let id = store.open_incident(&opened)?;
                store.append_event(NewEvent {
                    env: Some(name),
                    ..NewEvent::new(
                        "incident.opened",
                        format!("incident #{id}: {}", opened.summary),
                    )
                })?;
                Ok(id)
            })
            .await
            .map_err(|error| {
                tracing::error!("cannot record the watch's incident in env `{env}`: {error}")
            })
            .ok();
        let about = id.map(|id| format!("; incident #{id}")).unwrap_or_default();
        let reason = format!(
            "steady-state watch: {guard} failed for {version} ({}){about}",
            headline(report)
        );
        let done = remediate(&self.deployer, env, &incident.remediation, reason, id).await;
        let action = match &done {
            Ok(done) => done.clone(),
            Err(why) => format!("remediation `{remediation}` FAILED: {why}"),
        };
        let alert = Alert::guard_failed(
            app.clone(),
            env.clone(),
            version.clone(),
            guard.clone(),
            format!(
                "{app} {version} in {env}: {guard} failed after promotion ({}; remediation: {remediation})",
                headline(report)
            ),
            format!("{measured}; {action}{about}"),
            detected,
        );
        let urls = serving.spec.alerts.webhooks.clone();
        send_and_record(
            &self.deployer.alerts,
            &self.deployer.store,
            &urls,
            &alert,
            id,
        )
        .await;
        OpenIncident {
            id,
            guard: guard.clone(),
            alert,
            urls,
            summary: format!("{guard} failed after promotion: {measured}; {action}"),
        }
    }

    /// The incident is over (`why`): `watch.cleared`, the resolved alert,
    /// the incident closed.
    async fn close(&self, incident: OpenIncident, version: &str, why: String) {
        let env = &self.env;
        let about = incident
            .id
            .map(|id| format!("incident #{id} closed: "))
            .unwrap_or_default();
        let cleared = NewEvent {
            env: Some(env.clone()),
            ..NewEvent::new(
                "watch.cleared",
                format!(
                    "steady-state watch: {about}{} of {version} in env {env} is over: {why}",
                    incident.guard
                ),
            )
        };
        if let Err(error) = self
            .deployer
            .store
            .call(move |store| store.append_event(cleared))
            .await
        {
            tracing::error!(
                "cannot record the end of the watch's incident in env `{env}`: {error}"
            );
        }
        let resolved = incident.alert.resolved(Timestamp::now());
        send_and_record(
            &self.deployer.alerts,
            &self.deployer.store,
            &incident.urls,
            &resolved,
            incident.id,
        )
        .await;
        if let Some(id) = incident.id {
            let summary = format!("{}; over: {why}", incident.summary);
            if let Err(error) = self
                .deployer
                .store
                .call(move |store| store.close_incident(id, Timestamp::now(), Some(&summary)))
                .await
            {
                tracing::error!("cannot close incident #{id} of env `{env}`: {error}");
            }
        }
    }
}

/// Drops the RSS samples each replica took in its first `warm_up` (since
/// its current process started: a restart, a redeploy of the same release
/// or a scale-up starts it again), when start-up allocations are no leak.
/// `from` and `now` are the window's bounds (sample offsets are from `from`).
fn skip_warm_up(
    samples: &mut GroupSamples,
    statuses: &[ReplicaStatus],
    from: Instant,
    now: Instant,
    warm_up: Duration,
) {
    let wall = Timestamp::now();
    for series in &mut samples.memory {
        let Some(started) = statuses
            .iter()
            .find(|status| status.key == series.replica)
            .and_then(|status| status.started_at)
        else {
            continue;
        };
        let age = Duration::try_from(wall.duration_since(started)).unwrap_or_default();
        let Some(start) = now.checked_sub(age) else {
            continue;
        };
        let cutoff = (start + warm_up).saturating_duration_since(from);
        series.rss.retain(|sample| sample.at >= cutoff);
    }
}

/// The numbers behind a failed guard, for the event log, the incident and
/// the alert: a memory report with its slope, lower bound, the growth a
/// steady release may have (`max_growth`) and the projected time to the
/// memory limit; any other report's own summary.
fn measured(report: &GuardReport, max_growth: Option<f64>) -> String {
    let evidence = |name: &str| report.evidence.get(name).copied();
    match (
        report.guard,
        evidence("slope_bytes_per_sec"),
        evidence("lower_bytes_per_sec"),
    ) {
        (Guard::MemoryGrowth, Some(slope), Some(lower)) => {
            let who = report
                .replica
                .as_ref()
                .map(|replica| format!("{replica}: "))
                .unwrap_or_default();
            let limit = max_growth
                .map(|max| format!(", above the {} a steady release may grow", rate(max)))
                .unwrap_or_default();
            format!(
                "{who}RSS slope {} (lower bound {}){limit}{}",
                rate(slope),
                rate(lower),
                projected(report)
            )
        }
        _ => report.summary.clone(),
    }
}

/// One short phrase: `prod/web.1 RSS +1.2 MiB/s`, or the report's summary.
fn headline(report: &GuardReport) -> String {
    match (report.guard, report.evidence.get("slope_bytes_per_sec")) {
        (Guard::MemoryGrowth, Some(slope)) => {
            let who = report
                .replica
                .as_ref()
                .map(|replica| format!("{replica} "))
                .unwrap_or_default();
            format!("{who}RSS +{}", rate(*slope))
        }
        _ => report.summary.clone(),
    }
}

/// `; memory limit in ≈ 25 min` when the report projects one.
fn projected(report: &GuardReport) -> String {
    let Some(seconds) = report.evidence.get("seconds_to_limit") else {
        return String::new();
    };
    let human = if *seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if *seconds < 2.0 * 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    };
    format!("; memory limit in ≈ {human}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_rollout::analysis::{Decision, ReplicaSeries, RssSample};

    fn leak(seconds_to_limit: f64) -> GuardReport {
        GuardReport::new(Guard::MemoryGrowth, Decision::Fail, "x")
            .with("slope_bytes_per_sec", 1.5 * 1024.0 * 1024.0)
            .with("lower_bytes_per_sec", 900.0 * 1024.0)
            .with("seconds_to_limit", seconds_to_limit)
            .about(ReplicaKey::new("prod", "web", 1))
    }

    #[test]
    fn a_replicas_first_moments_are_left_out_of_the_window() {
        let key = ReplicaKey::new("prod", "web", 2);
        let rss = (0..=10)
            .map(|second| RssSample {
                at: Duration::from_secs(second),
                bytes: 1 << 20,
            })
            .collect();
        let mut samples = GroupSamples {
            memory: vec![ReplicaSeries {
                replica: key.clone(),
                memory_limit: None,
                rss,
            }],
            ..GroupSamples::default()
        };
        let status = ReplicaStatus {
            key,
            pid: Some(1),
            shim_pid: None,
            start_ticks: None,
            port: None,
            state: daytwo_types::ReplicaState::Healthy,
            restarts: 1,
            rss_bytes: 1 << 20,
            cpu_percent: 0.0,
            release: "sha256:1".into(),
            // Restarted 5 s ago, in a 10 s window.
            started_at: Some(Timestamp::now() - jiff::SignedDuration::from_secs(5)),
            last_exit: None,
            log_path: "/dev/null".into(),
        };
        let now = Instant::now();
        let from = now - Duration::from_secs(10);
        skip_warm_up(&mut samples, &[status], from, now, Duration::from_secs(2));
        let kept: Vec<u64> = samples.memory[0]
            .rss
            .iter()
            .map(|sample| sample.at.as_secs())
            .collect();
        assert_eq!(kept, [7, 8, 9, 10], "from 2 s after the restart on");
    }

    #[test]
    fn a_leak_reads_with_its_slope_bound_threshold_and_time_to_the_limit() {
        assert_eq!(
            measured(&leak(1500.0), Some(65536.0)),
            "prod/web.1: RSS slope 1.5 MiB/s (lower bound 900.0 KiB/s), above the 64.0 KiB/s \
             a steady release may grow; memory limit in ≈ 25 min"
        );
        assert_eq!(headline(&leak(1500.0)), "prod/web.1 RSS +1.5 MiB/s");
        assert!(projected(&leak(42.4)).ends_with("≈ 42 s"));
        assert!(projected(&leak(5.0 * 3600.0)).ends_with("≈ 5.0 h"));
        let errors = GuardReport::new(Guard::ErrorRate, Decision::Fail, "6.00% 5xx (60/1000)");
        assert_eq!(measured(&errors, None), "6.00% 5xx (60/1000)");
        assert_eq!(headline(&errors), "6.00% 5xx (60/1000)");
        assert_eq!(projected(&errors), "");
    }
}

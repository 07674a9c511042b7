//! Applies `[env.NAME]` overlays to the base processes and checks what can
//! only be checked on the result: required keys, health probes, the one
//! HTTP process and its replicas, restart backoffs, overlays naming unknown
//! processes and envs sharing a port.
//!
//! Merge rules (also in docs/spec.md): an overlay key replaces the base key;
//! `environment` merges key by key; `health` merges field by field, except
//! that a probe (`path`, `tcp`, `command`) written in the overlay replaces
//! the base probe; `restart` merges field by field.

use crate::code;
use crate::diagnostic::{Severity, SpecProblem};
use crate::model::{BuildSpec, ChecksSpec, MigrationsSpec};
use crate::model::{
    DEFAULT_ENV, DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_TIMEOUT, DEFAULT_HEALTHY_THRESHOLD,
    DEFAULT_REPLICAS, DEFAULT_SMOKE_TIMEOUT, DEFAULT_START_PERIOD, DEFAULT_STOP_SIGNAL,
    DEFAULT_STOP_TIMEOUT, DEFAULT_UNHEALTHY_THRESHOLD, EnvSpec, HealthCheck, ProcessSpec,
    RestartPolicy, SmokeCheck, Spec,
};
use crate::raw::{
    Located, RawBuild, RawChecks, RawEnv, RawHealth, RawMigrations, RawProcess, RawSpec,
};
use crate::suggest::closest;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

mod flags;
mod rollout;

pub(crate) use flags::expiry_warnings;

/// Where a problem about something not written at all is pointed at.
const START_OF_FILE: Range<usize> = 0..0;

/// The longest app name (a DNS label, so later targets can use it).
const MAX_APP_NAME_LEN: usize = 63;

pub(crate) fn resolve(
    raw: &RawSpec,
    file: &Path,
    dir: &Path,
    problems: &mut Vec<SpecProblem>,
) -> Spec {
    let app = app_name(raw, problems);
    check_processes_declared(raw, problems);
    let context = Context {
        raw,
        app: &app,
        file,
        dir,
    };
    let base = context.env(DEFAULT_ENV, None, problems);
    let mut envs = BTreeMap::new();
    let mut env_checks = BTreeMap::new();
    let mut env_migrations = BTreeMap::new();
    for (name, env) in &raw.envs {
        check_overlay_processes(raw, env, problems);
        envs.insert(name.clone(), context.env(name, Some(env), problems));
        env_checks.insert(name.clone(), checks(&raw.checks, Some(&env.checks)));
        if let Some(spec) = migrations(
            raw.migrations.as_ref(),
            env.migrations.as_ref(),
            dir,
            problems,
        ) {
            env_migrations.insert(name.clone(), spec);
        }
    }
    check_duplicate_ports(raw, problems);
    Spec {
        app,
        file: file.to_path_buf(),
        dir: dir.to_path_buf(),
        envs,
        base,
        build: raw.build.as_ref().and_then(|b| build(b, problems)),
        checks: checks(&raw.checks, None),
        env_checks,
        migrations: migrations(raw.migrations.as_ref(), None, dir, problems),
        env_migrations,
        flags: raw.flags.declared.clone(),
    }
}

/// `[build]`, which needs a non-empty `artifacts` list.
fn build(raw: &RawBuild, problems: &mut Vec<SpecProblem>) -> Option<BuildSpec> {
    let artifacts = match &raw.artifacts {
        Some(list) if !list.value.is_empty() => list.value.clone(),
        Some(list) => {
            problems.push(
                SpecProblem::error(code::MISSING_ARTIFACTS, "`build.artifacts` lists no path")
                    .field(&list.field)
                    .span(list.span.clone())
                    .label("nothing to pack")
                    .hint("list the files and directories a release needs, e.g. [\"app.py\", \"static/\"]"),
            );
            return None;
        }
        // Written with a bad value: already reported.
        None if raw.artifacts_written => return None,
        None => {
            problems.push(
                SpecProblem::error(code::MISSING_ARTIFACTS, "`[build]` has no `artifacts`")
                    .field("build.artifacts")
                    .span(raw.key_span.clone())
                    .label("no `artifacts`")
                    .hint("add `artifacts = [\"app.py\", \"static/\"]`: the files and directories a release needs"),
            );
            return None;
        }
    };
    Some(BuildSpec {
        command: raw.command.as_ref().map(|c| c.value.clone()),
        artifacts,
    })
}

/// `[migrations]` with an env's `[env.NAME.migrations]` merged over it key
/// by key. `dir` is required once either is written; it is reported once,
/// on the base table (or on the overlay when there is no base table).
fn migrations(
    base: Option<&RawMigrations>,
    overlay: Option<&RawMigrations>,
    spec_dir: &Path,
    problems: &mut Vec<SpecProblem>,
) -> Option<MigrationsSpec> {
    let written = overlay.or(base)?;
    let dir = overlay
        .and_then(|o| o.dir.as_ref())
        .or(base.and_then(|b| b.dir.as_ref()));
    let database = overlay
        .and_then(|o| o.database.as_ref())
        .or(base.and_then(|b| b.database.as_ref()));
    let Some(dir) = dir else {
        let report_here = base.is_none() || overlay.is_none();
        if report_here {
            problems.push(
                SpecProblem::error(code::MISSING_KEY, format!("`[{}]` has no `dir`", written.field))
                    .field(format!("{}.dir", written.field))
                    .span(written.key_span.clone())
                    .label("no `dir`")
                    .hint("add `dir = \"migrations\"`: the directory of NNNN_name.sql files, relative to daytwo.toml"),
            );
        }
        return None;
    };
    Some(MigrationsSpec {
        dir: spec_dir.join(&dir.value),
        database: database.map(|d| d.value.clone()),
    })
}

/// `[checks]` with an env's `[env.NAME.checks]` merged over it key by key.
fn checks(base: &RawChecks, overlay: Option<&RawChecks>) -> ChecksSpec {
    let smoke = overlay
        .and_then(|o| o.smoke.as_ref())
        .or(base.smoke.as_ref());
    let timeout = overlay
        .and_then(|o| o.smoke_timeout.as_ref())
        .or(base.smoke_timeout.as_ref())
        .map_or(DEFAULT_SMOKE_TIMEOUT, |t| t.value);
    ChecksSpec {
        smoke: smoke.map(|command| SmokeCheck {
            command: command.value.clone(),
            timeout,
        }),
    }
}

/// Removes problems reported twice (a base value checked once per env) and
/// orders them as they appear in the file.
pub(crate) fn tidy(problems: Vec<SpecProblem>) -> Vec<SpecProblem> {
    let mut seen = BTreeSet::new();
    let mut unique: Vec<SpecProblem> = problems
        .into_iter()
        .filter(|p| {
            let span = p.span.as_ref().map(|s| (s.start, s.end));
            seen.insert((p.code, span, p.field.clone()))
        })
        .collect();
    unique.sort_by_key(|p| p.span.as_ref().map(|s| s.start));
    unique
}

pub(crate) fn is_valid_app_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_APP_NAME_LEN
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn app_name(raw: &RawSpec, problems: &mut Vec<SpecProblem>) -> String {
    match &raw.app_name {
        Some(name) => {
            if !is_valid_app_name(&name.value) {
                problems.push(
                    SpecProblem::error(
                        code::INVALID_APP_NAME,
                        format!("app name `{}` is not a valid name", name.value),
                    )
                    .field(&name.field)
                    .span(name.span.clone())
                    .label("bad app name")
                    .hint(format!(
                        "use lowercase letters, digits and `-` (not first or last), at most {MAX_APP_NAME_LEN} characters, e.g. \"{}\"",
                        crate::app_name_from(&name.value)
                    )),
                );
            }
            name.value.clone()
        }
        None if raw.app_name_written => String::new(),
        None => {
            problems.push(
                SpecProblem::error(code::MISSING_KEY, "missing `[app] name`")
                    .field("app.name")
                    .span(raw.app_key.clone().unwrap_or(START_OF_FILE))
                    .label(if raw.app_key.is_some() {
                        "this table has no `name`"
                    } else {
                        "no [app] table in this file"
                    })
                    .hint(
                        "add `[app]` with `name = \"my-app\"` (lowercase letters, digits and `-`)",
                    ),
            );
            String::new()
        }
    }
}

fn check_processes_declared(raw: &RawSpec, problems: &mut Vec<SpecProblem>) {
    if raw.processes.is_empty() && !raw.process_not_table {
        problems.push(
            SpecProblem::error(code::MISSING_PROCESSES, "no process declared")
                .field("process")
                .span(raw.process_key.clone().unwrap_or(START_OF_FILE))
                .label("no [process.NAME] table")
                .hint("declare at least one process: `[process.web]` with `command = \"...\"`"),
        );
    }
    for process in raw.processes.values() {
        if !process.command_written {
            problems.push(
                SpecProblem::error(
                    code::MISSING_KEY,
                    format!("process `{}` has no `command`", process.name),
                )
                .field(format!("{}.command", process.field))
                .span(process.key_span.clone())
                .label("no `command`")
                .hint("add `command = \"...\"`: the shell command that starts the process"),
            );
        }
    }
}

fn check_overlay_processes(raw: &RawSpec, env: &RawEnv, problems: &mut Vec<SpecProblem>) {
    if raw.processes.is_empty() {
        return;
    }
    for (name, layer) in &env.processes {
        if raw.processes.contains_key(name) {
            continue;
        }
        let declared = raw
            .processes
            .keys()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(
            SpecProblem::error(
                code::UNKNOWN_PROCESS,
                format!("env `{}` overlays process `{name}`, which is not declared", env.name),
            )
            .field(&layer.field)
            .span(layer.key_span.clone())
            .label("no such process")
            .hint(format!(
                "an overlay can only change a process declared as [process.NAME]; declared: {declared}"
            ))
            .suggestion(closest(name, raw.processes.keys().map(String::as_str))),
        );
    }
}

fn check_duplicate_ports(raw: &RawSpec, problems: &mut Vec<SpecProblem>) {
    // In file order, so the second occurrence is the one reported.
    let mut listens: Vec<(&str, &Located<std::net::SocketAddr>)> = raw
        .envs
        .iter()
        .filter_map(|(name, env)| env.listen.as_ref().map(|l| (name.as_str(), l)))
        .collect();
    listens.sort_by_key(|(_, listen)| listen.span.start);
    let mut by_port: BTreeMap<u16, &str> = BTreeMap::new();
    for (name, listen) in listens {
        let port = listen.value.port();
        if port == 0 {
            continue;
        }
        match by_port.get(&port) {
            Some(first) => problems.push(
                SpecProblem::error(
                    code::DUPLICATE_PORT,
                    format!("env `{name}` listens on port {port}, already used by env `{first}`"),
                )
                .field(&listen.field)
                .span(listen.span.clone())
                .label("duplicate port")
                .hint("give every env its own port so they can run side by side"),
            ),
            None => {
                by_port.insert(port, name);
            }
        }
    }
}

struct Context<'a> {
    raw: &'a RawSpec,
    app: &'a str,
    file: &'a Path,
    dir: &'a Path,
}

impl Context<'_> {
    fn env(
        &self,
        name: &str,
        overlay: Option<&RawEnv>,
        problems: &mut Vec<SpecProblem>,
    ) -> EnvSpec {
        let in_env = match overlay {
            Some(_) => format!(" in env `{name}`"),
            None => String::new(),
        };
        let mut processes = BTreeMap::new();
        let mut http_flags: Vec<&Located<bool>> = Vec::new();
        for (process_name, base) in &self.raw.processes {
            let layers = Layers {
                base,
                overlay: overlay.and_then(|env| env.processes.get(process_name)),
            };
            let process = layers.process(problems);
            if process.http {
                if let Some(flag) = layers.pick(|p| p.http.as_ref()) {
                    http_flags.push(flag);
                }
                if process.replicas == 0
                    && let Some(replicas) = layers.pick(|p| p.replicas.as_ref())
                {
                    problems.push(
                        SpecProblem::error(
                            code::ZERO_HTTP_REPLICAS,
                            format!("the HTTP process `{process_name}` has 0 replicas{in_env}"),
                        )
                        .field(&replicas.field)
                        .span(replicas.span.clone())
                        .label("no replica would serve HTTP")
                        .hint("set `replicas` to 1 or more: the env's listener routes requests to this process"),
                    );
                }
            }
            processes.insert(process_name.clone(), process);
        }
        // In file order, so the later declaration is the one reported.
        http_flags.sort_by_key(|flag| flag.span.start);
        if let Some(first) = http_flags.first() {
            let first_process = first.field.trim_end_matches(".http");
            for extra in http_flags.iter().skip(1) {
                problems.push(
                    SpecProblem::error(
                        code::MULTIPLE_HTTP_PROCESSES,
                        format!("more than one process has `http = true`{in_env}"),
                    )
                    .field(&extra.field)
                    .span(extra.span.clone())
                    .label("second HTTP process")
                    .hint(format!(
                        "only one process serves the env's HTTP listener; `{first_process}` already has `http = true`"
                    )),
                );
            }
        }
        let listen = overlay.and_then(|env| env.listen.as_ref());
        if let Some(listen) = listen
            && http_flags.is_empty()
        {
            problems.push(
                SpecProblem::warning(
                    code::LISTEN_WITHOUT_HTTP,
                    format!("env `{name}` has `listen` but no process has `http = true`"),
                )
                .field(&listen.field)
                .span(listen.span.clone())
                .label("nothing to route to")
                .hint("mark the process that serves HTTP on $PORT with `http = true`"),
            );
        }
        EnvSpec {
            app: self.app.to_string(),
            env: name.to_string(),
            file: self.file.to_path_buf(),
            dir: self.dir.to_path_buf(),
            listen: listen.map(|l| l.value),
            processes,
            flags: flags::env_flags(self.raw, overlay, problems),
            rollout: rollout::rollout(self.raw, overlay, problems),
            alerts: rollout::alerts(&self.raw.alerts, overlay.map(|env| &env.alerts)),
        }
    }
}

/// One process's base layer and, in an env, its overlay layer.
#[derive(Clone, Copy)]
struct Layers<'a> {
    base: &'a RawProcess,
    overlay: Option<&'a RawProcess>,
}

impl<'a> Layers<'a> {
    /// The overlay's value if it wrote one, else the base's.
    fn pick<T: 'a>(
        &self,
        get: impl Fn(&'a RawProcess) -> Option<&'a Located<T>>,
    ) -> Option<&'a Located<T>> {
        self.overlay.and_then(&get).or_else(|| get(self.base))
    }

    fn value<T: Clone + 'a>(
        &self,
        get: impl Fn(&'a RawProcess) -> Option<&'a Located<T>>,
        default: T,
    ) -> T {
        self.pick(get).map_or(default, |l| l.value.clone())
    }

    fn process(&self, problems: &mut Vec<SpecProblem>) -> ProcessSpec {
        let mut environment: BTreeMap<String, String> = self
            .base
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        if let Some(overlay) = self.overlay {
            environment.extend(
                overlay
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone())),
            );
        }
        ProcessSpec {
            name: self.base.name.clone(),
            command: self.value(|p| p.command.as_ref(), String::new()),
            http: self.value(|p| p.http.as_ref(), false),
            replicas: self.value(|p| p.replicas.as_ref(), DEFAULT_REPLICAS),
            health: self.health(problems),
            memory_limit: self.pick(|p| p.memory_limit.as_ref()).map(|l| l.value),
            stop_signal: self
                .value(|p| p.stop_signal.as_ref(), DEFAULT_STOP_SIGNAL)
                .to_string(),
            stop_timeout: self.value(|p| p.stop_timeout.as_ref(), DEFAULT_STOP_TIMEOUT),
            environment,
            restart: self.restart(problems),
        }
    }

    fn restart(&self, problems: &mut Vec<SpecProblem>) -> RestartPolicy {
        let defaults = RestartPolicy::default();
        let backoff = self.pick(|p| p.restart.backoff.as_ref());
        let max_backoff = self.pick(|p| p.restart.max_backoff.as_ref());
        let policy = RestartPolicy {
            backoff: backoff.map_or(defaults.backoff, |l| l.value),
            max_backoff: max_backoff.map_or(defaults.max_backoff, |l| l.value),
            crashloop_threshold: self.value(
                |p| p.restart.crashloop_threshold.as_ref(),
                defaults.crashloop_threshold,
            ),
            crashloop_window: self.value(
                |p| p.restart.crashloop_window.as_ref(),
                defaults.crashloop_window,
            ),
            reset_after: self.value(|p| p.restart.reset_after.as_ref(), defaults.reset_after),
        };
        if policy.max_backoff < policy.backoff
            && let Some(culprit) = max_backoff.or(backoff)
        {
            problems.push(
                SpecProblem::error(
                    code::INVALID_RESTART,
                    format!(
                        "`restart.max_backoff` ({}) is shorter than `restart.backoff` ({})",
                        humantime::format_duration(policy.max_backoff),
                        humantime::format_duration(policy.backoff)
                    ),
                )
                .field(&culprit.field)
                .span(culprit.span.clone())
                .label("max_backoff < backoff")
                .hint("the backoff doubles from `backoff` up to `max_backoff`; make `max_backoff` at least `backoff`"),
            );
        }
        policy
    }

    fn health(&self, problems: &mut Vec<SpecProblem>) -> Option<HealthCheck> {
        let base = self.base.health.as_ref();
        let overlay = self.overlay.and_then(|p| p.health.as_ref());
        let written = overlay.or(base)?;
        let layer = |get: &dyn Fn(&'a RawHealth) -> Option<&'a Located<Duration>>| {
            overlay.and_then(get).or_else(|| base.and_then(get))
        };
        let interval = layer(&|h| h.interval.as_ref());
        let timeout = layer(&|h| h.timeout.as_ref());
        let start_period = layer(&|h| h.start_period.as_ref());
        let threshold = |get: &dyn Fn(&'a RawHealth) -> Option<&'a Located<u32>>, default: u32| {
            overlay
                .and_then(get)
                .or_else(|| base.and_then(get))
                .map_or(default, |l| l.value)
        };
        // A probe written in the overlay replaces the base probe.
        let probes = &overlay
            .filter(|o| !o.probes.is_empty())
            .or(base)
            .unwrap_or(written)
            .probes;
        let probe = match probes.as_slice() {
            [] => {
                problems.push(
                    SpecProblem::error(code::MISSING_HEALTH_PROBE, "health check has no probe")
                        .field(&written.field)
                        .span(written.span.clone())
                        .label("no `path`, `tcp` or `command`")
                        .hint(
                            "add one of `path = \"/healthz\"`, `tcp = true` or `command = \"...\"`",
                        ),
                );
                None
            }
            [only] => only.value.clone(),
            [first, rest @ ..] => {
                for extra in rest {
                    problems.push(
                        SpecProblem::error(
                            code::AMBIGUOUS_HEALTH_PROBE,
                            "health check has more than one probe",
                        )
                        .field(&extra.field)
                        .span(extra.span.clone())
                        .label("second probe")
                        .hint(format!(
                            "keep exactly one of `path`, `tcp`, `command` (`{}` is already set)",
                            first.field
                        )),
                    );
                }
                None
            }
        };
        let check = HealthCheck {
            probe: probe?,
            interval: interval.map_or(DEFAULT_HEALTH_INTERVAL, |l| l.value),
            timeout: timeout.map_or(DEFAULT_HEALTH_TIMEOUT, |l| l.value),
            healthy_threshold: threshold(
                &|h| h.healthy_threshold.as_ref(),
                DEFAULT_HEALTHY_THRESHOLD,
            ),
            unhealthy_threshold: threshold(
                &|h| h.unhealthy_threshold.as_ref(),
                DEFAULT_UNHEALTHY_THRESHOLD,
            ),
            start_period: start_period.map_or(DEFAULT_START_PERIOD, |l| l.value),
        };
        if check.timeout > check.interval
            && let Some(culprit) = timeout.or(interval)
        {
            problems.push(
                SpecProblem::warning(
                    code::HEALTH_TIMEOUT_EXCEEDS_INTERVAL,
                    format!(
                        "health check timeout ({}) is longer than its interval ({})",
                        humantime::format_duration(check.timeout),
                        humantime::format_duration(check.interval)
                    ),
                )
                .field(&culprit.field)
                .span(culprit.span.clone())
                .label("timeout > interval")
                .hint("checks never overlap, so a slow check delays the next one; make `timeout` at most `interval`"),
            );
        }
        Some(check)
    }
}

/// True when the problems contain at least one error.
pub(crate) fn has_errors(problems: &[SpecProblem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Error)
}

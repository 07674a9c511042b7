//! Walks the parsed TOML tree (with spans) against the schema, turning it
//! into [`RawSpec`] and collecting a problem for every key or value that does
//! not fit: unknown keys, wrong types, bad durations, sizes, signals,
//! addresses, names and `${VAR}` interpolations. It never stops at the first
//! problem. Checks that need overlays applied live in `resolve`.

use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::{self, Context, InterpolationError};
use crate::model::{HealthProbe, MAX_REPLICAS};
use crate::raw::{
    Located, RawBuild, RawChecks, RawEnv, RawHealth, RawMigrations, RawProcess, RawRestart, RawSpec,
};
use crate::signal::{STOP_SIGNALS, normalize_signal};
use crate::size::parse_size;
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod flags;

pub(crate) use flags::locate as locate_flag_problem;

type Value<'i> = Spanned<DeValue<'i>>;

pub(crate) const TOP_KEYS: &[&str] = &[
    "app",
    "process",
    "env",
    "build",
    "checks",
    "migrations",
    "flags",
];
pub(crate) const APP_KEYS: &[&str] = &["name"];
pub(crate) const PROCESS_KEYS: &[&str] = &[
    "command",
    "http",
    "replicas",
    "health",
    "memory_limit",
    "stop_signal",
    "stop_timeout",
    "environment",
    "restart",
];
pub(crate) const HEALTH_KEYS: &[&str] = &[
    "path",
    "tcp",
    "command",
    "interval",
    "timeout",
    "healthy_threshold",
    "unhealthy_threshold",
    "start_period",
];
pub(crate) const RESTART_KEYS: &[&str] = &[
    "backoff",
    "max_backoff",
    "crashloop_threshold",
    "crashloop_window",
    "reset_after",
];
pub(crate) const ENV_KEYS: &[&str] = &["listen", "process", "checks", "migrations", "flags"];
pub(crate) const BUILD_KEYS: &[&str] = &["command", "artifacts"];
pub(crate) const CHECKS_KEYS: &[&str] = &["smoke", "smoke_timeout"];
pub(crate) const MIGRATIONS_KEYS: &[&str] = &["dir", "database"];

/// The longest app, process or env name.
const MAX_NAME_LEN: usize = 63;

const DURATION_HINT: &str = "write a number with a unit, e.g. \"500ms\", \"5s\", \"2m\" or \"1h\"";

/// What a key expects, for "expected …, found …" messages and their hints.
#[derive(Debug, Clone, Copy)]
enum Expected {
    String,
    Integer,
    Boolean,
    Table,
    Duration,
    Size,
    Address,
    PathList,
}

impl Expected {
    fn describe(self) -> &'static str {
        match self {
            Expected::String => "a string",
            Expected::Integer => "an integer",
            Expected::Boolean => "a boolean",
            Expected::Table => "a table",
            Expected::Duration => "a duration string",
            Expected::Size => "a size (string or integer of bytes)",
            Expected::Address => "an address string",
            Expected::PathList => "an array of path strings",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Expected::String => "put the value in double quotes",
            Expected::Integer => "write a whole number without quotes, e.g. `2`",
            Expected::Boolean => "write `true` or `false` without quotes",
            Expected::Table => "write `{ key = value, ... }` or a `[section]` header",
            Expected::Duration => DURATION_HINT,
            Expected::Size => "write e.g. \"256MiB\", \"1GiB\", \"512MB\" or a number of bytes",
            Expected::Address => "write an IP address and port in quotes, e.g. \"127.0.0.1:18080\"",
            Expected::PathList => "write a list of paths, e.g. [\"app.py\", \"static/\"]",
        }
    }
}

fn found(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Lowercase letter first, then lowercase letters, digits, `-` and `_`.
pub(crate) fn is_simple_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// An artifact path normalised to `/`-separated components without `.`
/// or a trailing `/`, or why it is not acceptable.
pub(crate) fn artifact_path(path: &str) -> Result<String, &'static str> {
    if path.trim().is_empty() {
        return Err("is empty");
    }
    if path.starts_with('/') {
        return Err("is absolute");
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("leaves the spec's directory (`..`)"),
            part if part.contains('\0') => return Err("contains a NUL byte"),
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("names the spec's directory itself");
    }
    Ok(parts.join("/"))
}

pub(crate) struct Walker<'a> {
    source: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) problems: Vec<SpecProblem>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(source: &'a str, lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            source,
            lookup,
            problems: Vec::new(),
        }
    }

    pub(crate) fn spec(&mut self, root: &DeTable<'_>) -> RawSpec {
        self.unknown_keys(root, TOP_KEYS, "");
        let mut raw = RawSpec::default();
        if let Some((key, value)) = root.get_key_value("app") {
            raw.app_key = Some(key.span());
            if let Some(app) = self.table(value, "app") {
                self.unknown_keys(app, APP_KEYS, "app");
                if let Some(name) = app.get("name") {
                    raw.app_name_written = true;
                    raw.app_name = self.string(name, "app.name", Context::Value);
                }
            }
        }
        if let Some((key, value)) = root.get_key_value("process") {
            raw.process_key = Some(key.span());
            match self.table(value, "process") {
                Some(table) => raw.processes = self.processes(table, "process", true),
                None => raw.process_not_table = true,
            }
        }
        if let Some((key, value)) = root.get_key_value("build") {
            raw.build = self.build(key.span(), value);
        }
        if let Some(value) = root.get("checks") {
            raw.checks = self.checks(value, "checks");
        }
        if let Some(value) = root.get("flags") {
            raw.flags = self.flags(value);
        }
        if let Some((key, value)) = root.get_key_value("migrations") {
            raw.migrations = self.migrations(key.span(), value, "migrations");
        }
        if let Some(value) = root.get("env")
            && let Some(envs) = self.table(value, "env")
        {
            for (key, value) in envs.iter() {
                let name = key.get_ref().to_string();
                if let Some(env) = self.env(&name, key.span(), value) {
                    raw.envs.insert(name, env);
                }
            }
        }
        raw
    }

    fn env(&mut self, name: &str, key_span: Range<usize>, value: &Value<'_>) -> Option<RawEnv> {
        let field = join("env", name);
        if !is_simple_name(name) {
            self.problems.push(
                SpecProblem::error(code::INVALID_NAME, format!("env name `{name}` is not a simple name"))
                    .field(&field)
                    .span(key_span.clone())
                    .label("bad env name")
                    .hint("env names are lowercase letters, digits, `-` and `_`, starting with a letter, e.g. `qa` or `prod-eu`"),
            );
        }
        let table = self.table(value, &field)?;
        self.unknown_keys(table, ENV_KEYS, &field);
        let mut env = RawEnv {
            name: name.to_string(),
            ..RawEnv::default()
        };
        if let Some(listen) = table.get("listen") {
            env.listen = self.listen(listen, &join(&field, "listen"));
        }
        if let Some(checks) = table.get("checks") {
            env.checks = self.checks(checks, &join(&field, "checks"));
        }
        if let Some(flags) = table.get("flags") {
            env.flags = self.env_flags(flags, &join(&field, "flags"));
        }
        if let Some((key, value)) = table.get_key_value("migrations") {
            env.migrations = self.migrations(key.span(), value, &join(&field, "migrations"));
        }
        if let Some(processes) = table.get("process") {
            let process_field = join(&field, "process");
            if let Some(processes) = self.table(processes, &process_field) {
                env.processes = self.processes(processes, &process_field, false);
            }
        }
        Some(env)
    }

    fn build(&mut self, key_span: Range<usize>, value: &Value<'_>) -> Option<RawBuild> {
        let table = self.table(value, "build")?;
        self.unknown_keys(table, BUILD_KEYS, "build");
        let mut build = RawBuild {
            key_span,
            ..RawBuild::default()
        };
        if let Some(command) = table.get("command") {
            build.command = self.command(command, "build.command");
        }
        if let Some(artifacts) = table.get("artifacts") {
            build.artifacts_written = true;
            build.artifacts = self.artifacts(artifacts, "build.artifacts");
        }
        Some(build)
    }

    /// The artifact list, each path checked and normalised; bad entries are
    /// reported and left out.
    fn artifacts(&mut self, value: &Value<'_>, field: &str) -> Option<Located<Vec<String>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, field, Expected::PathList);
            return None;
        };
        let mut paths: Vec<String> = Vec::new();
        let mut invalid = false;
        for (index, item) in items.iter().enumerate() {
            let item_field = format!("{field}[{index}]");
            let Some(path) = self.string(item, &item_field, Context::Value) else {
                invalid = true;
                continue;
            };
            match artifact_path(&path.value) {
                Ok(normal) if paths.contains(&normal) => self.problems.push(
                    SpecProblem::warning(
                        code::DUPLICATE_ARTIFACT,
                        format!("artifact `{}` is listed twice", path.value),
                    )
                    .field(&item_field)
                    .span(path.span)
                    .label("already listed")
                    .hint("remove the second entry"),
                ),
                Ok(normal) => paths.push(normal),
                Err(reason) => {
                    invalid = true;
                    self.problems.push(
                    SpecProblem::error(
                        code::INVALID_ARTIFACT,
                        format!("artifact `{}` {reason}", path.value),
                    )
                    .field(&item_field)
                    .span(path.span)
                    .label("bad artifact path")
                    .hint("write a path relative to the spec's directory that stays inside it, e.g. \"app.py\" or \"static/\""),
                    )
                }
            }
        }
        // Bad entries are reported already; an emptied list is not reported again.
        if invalid {
            return None;
        }
        Some(Located {
            value: paths,
            span: value.span(),
            field: field.to_string(),
        })
    }

    fn checks(&mut self, value: &Value<'_>, field: &str) -> RawChecks {
        let mut checks = RawChecks::default();
        let Some(table) = self.table(value, field) else {
            return checks;
        };
        self.unknown_keys(table, CHECKS_KEYS, field);
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            match key.get_ref().as_ref() {
                "smoke" => checks.smoke = self.command(value, &key_field),
                "smoke_timeout" => checks.smoke_timeout = self.duration(value, &key_field, true),
                _ => {}
            }
        }
        checks
    }

    /// `[migrations]` / `[env.NAME.migrations]`: `dir` and `database`
    /// (both `${VAR}`-interpolated). What is required is decided by the
    /// resolver, which sees the overlay and the base together.
    fn migrations(
        &mut self,
        key_span: Range<usize>,
        value: &Value<'_>,
        field: &str,
    ) -> Option<RawMigrations> {
        let table = self.table(value, field)?;
        self.unknown_keys(table, MIGRATIONS_KEYS, field);
        let mut migrations = RawMigrations {
            key_span,
            field: field.to_string(),
            ..RawMigrations::default()
        };
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            match key.get_ref().as_ref() {
                "dir" => migrations.dir = self.string(value, &key_field, Context::Value),
                "database" => {
                    migrations.database = self.string(value, &key_field, Context::Value);
                    if let Some(url) = &migrations.database
                        && !is_database_url(&url.value)
                    {
                        self.problems.push(
                            SpecProblem::error(
                                code::INVALID_DATABASE_URL,
                                format!("`{key_field}` is not a database URL daytwo can migrate"),
                            )
                            .field(&key_field)
                            .span(url.span.clone())
                            .label("expected sqlite:// or postgres://")
                            .hint("write sqlite://PATH (e.g. \"sqlite://data/app.db\") or postgres://USER@HOST:PORT/DB, usually \"${DATABASE_URL}\""),
                        );
                        migrations.database = None;
                    }
                }
                _ => {}
            }
        }
        Some(migrations)
    }

    fn processes(
        &mut self,
        table: &DeTable<'_>,
        parent: &str,
        check_names: bool,
    ) -> BTreeMap<String, RawProcess> {
        let mut processes = BTreeMap::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            let field = join(parent, &name);
            if check_names && !is_simple_name(&name) {
                self.problems.push(
                    SpecProblem::error(code::INVALID_NAME, format!("process name `{name}` is not a simple name"))
                        .field(&field)
                        .span(key.span())
                        .label("bad process name")
                        .hint("process names are lowercase letters, digits, `-` and `_`, starting with a letter, e.g. `web` or `worker-2`"),
                );
            }
            let Some(table) = self.table(value, &field) else {
                continue;
            };
            let process = self.process(table, &name, key.span(), field);
            processes.insert(name, process);
        }
        processes
    }

    fn process(
        &mut self,
        table: &DeTable<'_>,
        name: &str,
        key_span: Range<usize>,
        field: String,
    ) -> RawProcess {
        self.unknown_keys(table, PROCESS_KEYS, &field);
        let mut process = RawProcess {
            name: name.to_string(),
            key_span,
            ..RawProcess::default()
        };
        for (key, value) in table.iter() {
            let key_field = join(&field, key.get_ref());
            match key.get_ref().as_ref() {
                "command" => {
                    process.command_written = true;
                    process.command = self.command(value, &key_field);
                }
                "http" => process.http = self.boolean(value, &key_field),
                "replicas" => process.replicas = self.replicas(value, &key_field),
                "health" => process.health = self.health(value, &key_field),
                "memory_limit" => process.memory_limit = self.size(value, &key_field),
                "stop_signal" => process.stop_signal = self.signal(value, &key_field),
                "stop_timeout" => process.stop_timeout = self.duration(value, &key_field, false),
                "environment" => process.environment = self.environment(value, &key_field),
                "restart" => process.restart = self.restart(value, &key_field),
                _ => {}
            }
        }
        process.field = field;
        process
    }

    fn health(&mut self, value: &Value<'_>, field: &str) -> Option<RawHealth> {
        let table = self.table(value, field)?;
        self.unknown_keys(table, HEALTH_KEYS, field);
        let mut health = RawHealth {
            span: value.span(),
            field: field.to_string(),
            ..RawHealth::default()
        };
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            let whole = key.span().start..value.span().end;
            let probe = |probe: Option<HealthProbe>| Located {
                value: probe,
                span: whole.clone(),
                field: key_field.clone(),
            };
            match key.get_ref().as_ref() {
                "path" => {
                    let path = self.string(value, &key_field, Context::Value);
                    let path = path.filter(|path| self.check_health_path(path));
                    health.probes.push(probe(
                        path.map(|path| HealthProbe::Http { path: path.value }),
                    ));
                }
                "tcp" => match self.boolean(value, &key_field) {
                    Some(Located { value: false, .. }) => {}
                    Some(_) => health.probes.push(probe(Some(HealthProbe::Tcp))),
                    None => health.probes.push(probe(None)),
                },
                "command" => {
                    let command = self.command(value, &key_field);
                    health
                        .probes
                        .push(probe(command.map(|command| HealthProbe::Command {
                            command: command.value,
                        })));
                }
                "interval" => health.interval = self.duration(value, &key_field, true),
                "timeout" => health.timeout = self.duration(value, &key_field, true),
                "start_period" => health.start_period = self.duration(value, &key_field, false),
                "healthy_threshold" => health.healthy_threshold = self.threshold(value, &key_field),
                "unhealthy_threshold" => {
                    health.unhealthy_threshold = self.threshold(value, &key_field)
                }
                _ => {}
            }
        }
        Some(health)
    }

    fn check_health_path(&mut self, path: &Located<String>) -> bool {
        if path.value.starts_with('/') {
            return true;
        }
        self.problems.push(
            SpecProblem::error(
                code::INVALID_HEALTH_PATH,
                format!("health check path `{}` does not start with `/`", path.value),
            )
            .field(&path.field)
            .span(path.span.clone())
            .label("must start with `/`")
            .hint(format!(
                "write the path of the URL, e.g. \"/{}\"",
                path.value.trim_start_matches("./")
            )),
        );
        false
    }

    fn restart(&mut self, value: &Value<'_>, field: &str) -> RawRestart {
        let mut restart = RawRestart::default();
        let Some(table) = self.table(value, field) else {
            return restart;
        };
        self.unknown_keys(table, RESTART_KEYS, field);
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            match key.get_ref().as_ref() {
                "backoff" => restart.backoff = self.duration(value, &key_field, true),
                "max_backoff" => restart.max_backoff = self.duration(value, &key_field, true),
                "crashloop_window" => {
                    restart.crashloop_window = self.duration(value, &key_field, true)
                }
                "reset_after" => restart.reset_after = self.duration(value, &key_field, false),
                "crashloop_threshold" => {
                    restart.crashloop_threshold = self.threshold(value, &key_field)
                }
                _ => {}
            }
        }
        restart
    }

    fn environment(&mut self, value: &Value<'_>, field: &str) -> BTreeMap<String, Located<String>> {
        let mut environment = BTreeMap::new();
        let Some(table) = self.table(value, field) else {
            return environment;
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            let key_field = join(field, &name);
            if !interpolate::is_variable_name(&name) {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_ENV_VAR_NAME,
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .field(&key_field)
                    .span(key.span())
                    .label("bad variable name")
                    .hint(
                        "use letters, digits and `_`, not starting with a digit, e.g. `LOG_LEVEL`",
                    ),
                );
                continue;
            }
            if interpolate::is_runtime_variable(&name) {
                self.problems.push(
                    SpecProblem::warning(
                        code::RESERVED_ENV_VAR,
                        format!("`{name}` is set by daytwo for every replica"),
                    )
                    .field(&key_field)
                    .span(key.span())
                    .label("set by daytwo")
                    .hint("remove it: the engine's value takes precedence"),
                );
            }
            let text = match value.get_ref() {
                DeValue::String(_) => self
                    .string(value, &key_field, Context::Value)
                    .map(|s| s.value),
                DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
                    .map(|n| n.to_string())
                    .ok(),
                DeValue::Float(float) => Some(float.as_str().to_string()),
                DeValue::Boolean(b) => Some(b.to_string()),
                _ => {
                    self.wrong_type(value, &key_field, Expected::String);
                    None
                }
            };
            if let Some(text) = text {
                environment.insert(
                    name,
                    Located {
                        value: text,
                        span: value.span(),
                        field: key_field,
                    },
                );
            }
        }
        environment
    }

    fn command(&mut self, value: &Value<'_>, field: &str) -> Option<Located<String>> {
        let command = self.string(value, field, Context::Command)?;
        if command.value.trim().is_empty() {
            self.problems.push(
                SpecProblem::error(code::EMPTY_COMMAND, format!("`{field}` is empty"))
                    .field(field)
                    .span(command.span.clone())
                    .label("empty command")
                    .hint(
                        "write the shell command that starts the process, e.g. \"python3 app.py\"",
                    ),
            );
        }
        Some(command)
    }

    fn replicas(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u32>> {
        let n = self.integer(value, field)?;
        match u32::try_from(n.value) {
            Ok(replicas) if replicas <= MAX_REPLICAS => Some(Located {
                value: replicas,
                span: n.span,
                field: n.field,
            }),
            _ => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_REPLICAS,
                        format!("`{field}` must be between 0 and {MAX_REPLICAS}, found {}", n.value),
                    )
                    .field(field)
                    .span(n.span)
                    .label("out of range")
                    .hint("use 0 to declare a process without running it, or a count of copies to run"),
                );
                None
            }
        }
    }

    fn threshold(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u32>> {
        let n = self.integer(value, field)?;
        match u32::try_from(n.value) {
            Ok(threshold) if threshold >= 1 => Some(Located {
                value: threshold,
                span: n.span,
                field: n.field,
            }),
            _ => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_THRESHOLD,
                        format!("`{field}` must be at least 1, found {}", n.value),
                    )
                    .field(field)
                    .span(n.span)
                    .label("must be 1 or more")
                    .hint("a threshold counts consecutive events; use 1 or more"),
                );
                None
            }
        }
    }

    fn duration(
        &mut self,
        value: &Value<'_>,
        field: &str,
        positive: bool,
    ) -> Option<Located<Duration>> {
        if !matches!(value.get_ref(), DeValue::String(_)) {
            self.wrong_type(value, field, Expected::Duration);
            return None;
        }
        let text = self.string(value, field, Context::Value)?;
        match humantime::parse_duration(text.value.trim()) {
            Ok(duration) if positive && duration.is_zero() => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_DURATION,
                        format!("`{field}` must be greater than zero"),
                    )
                    .field(field)
                    .span(text.span)
                    .label("zero")
                    .hint(DURATION_HINT),
                );
                None
            }
            Ok(duration) => Some(Located {
                value: duration,
                span: text.span,
                field: text.field,
            }),
            Err(error) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_DURATION,
                        format!("`{}` is not a duration: {error}", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("bad duration")
                    .hint(DURATION_HINT),
                );
                None
            }
        }
    }

    fn size(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u64>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(_) => {
                let n = self.integer(value, field)?;
                u64::try_from(n.value)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "a size must be greater than zero".to_string())
                    .map(|bytes| (bytes, n.value.to_string()))
            }
            DeValue::String(_) => {
                let text = self.string(value, field, Context::Value)?;
                parse_size(&text.value).map(|bytes| (bytes, text.value))
            }
            _ => {
                self.wrong_type(value, field, Expected::Size);
                return None;
            }
        };
        match parsed {
            Ok((bytes, _)) => Some(Located {
                value: bytes,
                span: value.span(),
                field: field.to_string(),
            }),
            Err(reason) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_SIZE,
                        format!("`{field}` is not a valid size: {reason}"),
                    )
                    .field(field)
                    .span(value.span())
                    .label("bad size")
                    .hint(Expected::Size.hint()),
                );
                None
            }
        }
    }

    fn signal(&mut self, value: &Value<'_>, field: &str) -> Option<Located<&'static str>> {
        let text = self.string(value, field, Context::Value)?;
        match normalize_signal(&text.value) {
            Some(signal) => Some(Located {
                value: signal,
                span: text.span,
                field: text.field,
            }),
            None => {
                let bare: Vec<&str> = STOP_SIGNALS.iter().map(|s| &s[3..]).collect();
                let upper = text.value.trim().to_ascii_uppercase();
                let given = upper.strip_prefix("SIG").unwrap_or(&upper);
                let suggestion = closest(given, bare).map(|s| format!("SIG{s}"));
                self.problems.push(
                    SpecProblem::error(
                        code::UNKNOWN_SIGNAL,
                        format!("unknown stop signal `{}`", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("unknown signal")
                    .hint(format!("use one of {}", STOP_SIGNALS.join(", ")))
                    .suggestion(suggestion.as_deref()),
                );
                None
            }
        }
    }

    fn listen(&mut self, value: &Value<'_>, field: &str) -> Option<Located<SocketAddr>> {
        let text = self.string(value, field, Context::Value)?;
        match text.value.trim().parse::<SocketAddr>() {
            Ok(addr) => Some(Located {
                value: addr,
                span: text.span,
                field: text.field,
            }),
            Err(_) => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_LISTEN,
                        format!("`{}` is not a socket address (IP:port)", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("not IP:port")
                    .hint(Expected::Address.hint()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, value: &Value<'_>, field: &str) -> Option<Located<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Located {
                value: *b,
                span: value.span(),
                field: field.to_string(),
            }),
            _ => {
                self.wrong_type(value, field, Expected::Boolean);
                None
            }
        }
    }

    fn integer(&mut self, value: &Value<'_>, field: &str) -> Option<Located<i64>> {
        match value.get_ref() {
            DeValue::Integer(integer) => {
                let n = i64::from_str_radix(integer.as_str(), integer.radix()).ok()?;
                Some(Located {
                    value: n,
                    span: value.span(),
                    field: field.to_string(),
                })
            }
            _ => {
                self.wrong_type(value, field, Expected::Integer);
                None
            }
        }
    }

    /// A string value, `${VAR}`-interpolated.
    fn string(
        &mut self,
        value: &Value<'_>,
        field: &str,
        context: Context,
    ) -> Option<Located<String>> {
        let DeValue::String(text) = value.get_ref() else {
            self.wrong_type(value, field, Expected::String);
            return None;
        };
        match interpolate::interpolate(text, context, self.lookup) {
            Ok(expanded) => Some(Located {
                value: expanded,
                span: value.span(),
                field: field.to_string(),
            }),
            Err(errors) => {
                for error in errors {
                    let problem = self.interpolation_problem(error, text, value.span(), field);
                    self.problems.push(problem);
                }
                None
            }
        }
    }

    fn interpolation_problem(
        &self,
        error: InterpolationError,
        text: &str,
        span: Range<usize>,
        field: &str,
    ) -> SpecProblem {
        match error {
            InterpolationError::Unset { name, range } => SpecProblem::error(
                code::UNSET_VARIABLE,
                format!("environment variable `{name}` is not set (used in `{field}`)"),
            )
            .span(self.inner_span(text, span, range))
            .label("not set")
            .hint(format!("set `{name}` in the environment, or give a default: `${{{name}:-default}}`")),
            InterpolationError::Unterminated { range } => SpecProblem::error(
                code::INVALID_INTERPOLATION,
                format!("unterminated `${{` in `{field}`"),
            )
            .span(self.inner_span(text, span, range))
            .label("no closing `}`")
            .hint("close it with `}`, or write `$${` for a literal `${`"),
            InterpolationError::InvalidName { name, range } => SpecProblem::error(
                code::INVALID_INTERPOLATION,
                format!("`${{{name}}}` in `{field}` does not name a variable"),
            )
            .span(self.inner_span(text, span, range))
            .label("not a variable name")
            .hint("variable names are letters, digits and `_`, not starting with a digit; write `$${` for a literal `${`"),
        }
        .field(field)
    }

    /// The span of `range` (bytes of the decoded string) in the source when
    /// the string is written without escapes; else the whole value.
    fn inner_span(&self, text: &str, span: Range<usize>, range: Range<usize>) -> Range<usize> {
        let written = self.source.get(span.clone()).unwrap_or_default();
        let simple_quotes = (written.starts_with('"') && !written.starts_with("\"\"\""))
            || (written.starts_with('\'') && !written.starts_with("'''"));
        if simple_quotes && written.get(1..written.len().saturating_sub(1)) == Some(text) {
            span.start + 1 + range.start..span.start + 1 + range.end
        } else {
            span
        }
    }

    fn table<'t, 'i>(&mut self, value: &'t Value<'i>, field: &str) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.wrong_type(value, field, Expected::Table);
                None
            }
        }
    }

    fn wrong_type(&mut self, value: &Value<'_>, field: &str, expected: Expected) {
        self.problems.push(
            SpecProblem::error(
                code::WRONG_TYPE,
                format!(
                    "`{field}`: expected {}, found {}",
                    expected.describe(),
                    found(value.get_ref())
                ),
            )
            .field(field)
            .span(value.span())
            .label(format!("expected {}", expected.describe()))
            .hint(expected.hint()),
        );
    }

    fn unknown_keys(&mut self, table: &DeTable<'_>, known: &[&str], parent: &str) {
        for key in table.keys() {
            let name: &str = key.get_ref();
            if known.contains(&name) {
                continue;
            }
            let within = if parent.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{parent}`")
            };
            let known_list = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.problems.push(
                SpecProblem::error(code::UNKNOWN_KEY, format!("unknown key `{name}` {within}"))
                    .field(join(parent, name))
                    .span(key.span())
                    .label("unknown key")
                    .hint(format!("known keys: {known_list}"))
                    .suggestion(closest(name, known.iter().copied())),
            );
        }
    }
}

/// A URL the migration runner understands: `sqlite:…`, `postgres://…` or
/// `postgresql://…`.
fn is_database_url(url: &str) -> bool {
    url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")
}

//! Walks the parsed TOML tree (with spans) against the schema, turning it
//! into [`RawSpec`] and collecting a problem for every key or value that does
//! not fit: unknown keys, wrong types, bad durations, sizes, signals,
//! addresses, names and `${VAR}` interpolations. It never stops at the first
//! problem. Checks that need overlays applied live in `resolve`.

use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::raw::RawSpec;
use crate::suggest::closest;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod alerts;
mod build;
mod checks;
mod env;
mod flags;
mod health;
mod migrations;
mod process;
mod rollout;
mod scalar;

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
    "rollout",
    "alerts",
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
pub(crate) const ENV_KEYS: &[&str] = &[
    "listen",
    "process",
    "checks",
    "migrations",
    "flags",
    "rollout",
    "alerts",
];
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
    Number,
    Steps,
    UrlList,
    GuardToggle,
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
            Expected::Number => "a number",
            Expected::Steps => "an array of percentages",
            Expected::UrlList => "an array of URL strings",
            Expected::GuardToggle => "a boolean or a table",
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
            Expected::Number => "write a number without quotes, e.g. `0.25` or `10`",
            Expected::Steps => "write the percentages of requests at each step, e.g. [10, 50, 100]",
            Expected::UrlList => "write a list of URLs, e.g. [\"http://127.0.0.1:9093/hook\"]",
            Expected::GuardToggle => {
                "write `true` (on, defaults), `false` (off) or a table of its settings, e.g. { relative_tolerance = 0.2 }"
            }
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
        if let Some(value) = root.get("rollout") {
            raw.rollout = self.rollout_section(value, "rollout");
        }
        if let Some(value) = root.get("alerts") {
            raw.alerts = self.alerts(value, "alerts");
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

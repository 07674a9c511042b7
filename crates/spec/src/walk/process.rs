//! `[process.NAME]` tables: names, commands, replicas, the environment
//! and the restart policy of each process.

use super::{Expected, PROCESS_KEYS, RESTART_KEYS, Value, Walker, is_simple_name, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::{self, Context};
use crate::model::MAX_REPLICAS;
use crate::raw::{Located, RawProcess, RawRestart};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

impl Walker<'_> {
    pub(super) fn processes(
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

    pub(super) fn restart(&mut self, value: &Value<'_>, field: &str) -> RawRestart {
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

    pub(super) fn environment(
        &mut self,
        value: &Value<'_>,
        field: &str,
    ) -> BTreeMap<String, Located<String>> {
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

    pub(super) fn replicas(&mut self, value: &Value<'_>, field: &str) -> Option<Located<u32>> {
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
}

//! `[env.NAME]` overlays: the per-env keys that change the base spec.

use super::{ENV_KEYS, Value, Walker, is_simple_name, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::raw::RawEnv;
use std::ops::Range;

impl Walker<'_> {
    pub(super) fn env(
        &mut self,
        name: &str,
        key_span: Range<usize>,
        value: &Value<'_>,
    ) -> Option<RawEnv> {
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
        if let Some(rollout) = table.get("rollout") {
            env.rollout = self.rollout_section(rollout, &join(&field, "rollout"));
        }
        if let Some(alerts) = table.get("alerts") {
            env.alerts = self.alerts(alerts, &join(&field, "alerts"));
        }
        if let Some(processes) = table.get("process") {
            let process_field = join(&field, "process");
            if let Some(processes) = self.table(processes, &process_field) {
                env.processes = self.processes(processes, &process_field, false);
            }
        }
        Some(env)
    }
}

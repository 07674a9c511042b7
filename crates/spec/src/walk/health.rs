//! `[process.NAME.health]`: the probes and timings of a health check.

use super::{HEALTH_KEYS, Value, Walker, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::model::HealthProbe;
use crate::raw::{Located, RawHealth};

impl Walker<'_> {
    pub(super) fn health(&mut self, value: &Value<'_>, field: &str) -> Option<RawHealth> {
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
}

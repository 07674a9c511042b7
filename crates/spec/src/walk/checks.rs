//! `[checks]` / `[env.NAME.checks]`: the smoke check and its timeout.

use super::{CHECKS_KEYS, Value, Walker, join};
use crate::raw::RawChecks;

impl Walker<'_> {
    pub(super) fn checks(&mut self, value: &Value<'_>, field: &str) -> RawChecks {
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
}

//! Flags per env: each declared flag with the env's `[env.E.flags]` entry
//! applied ([`EnvFlag::resolve`]), entries checked against the declaration,
//! entries naming undeclared flags reported; and the expiry warnings.

use crate::diagnostic::SpecProblem;
use crate::flag::{EnvFlag, expiry_warning, unknown_flag_problem};
use crate::raw::{RawEnv, RawSpec};
use crate::suggest::closest;
use crate::walk::locate_flag_problem;
use std::collections::BTreeMap;

/// Every declared flag as env `overlay` serves it (none: as declared).
pub(super) fn env_flags(
    raw: &RawSpec,
    overlay: Option<&RawEnv>,
    problems: &mut Vec<SpecProblem>,
) -> BTreeMap<String, EnvFlag> {
    let declared = &raw.flags.declared;
    if let Some(env) = overlay {
        let names: Vec<&str> = raw.flags.written.iter().map(String::as_str).collect();
        for (name, entry) in &env.flags {
            if !names.contains(&name.as_str()) {
                problems.push(
                    unknown_flag_problem(name, &entry.field, &names)
                        .span(entry.key_span.clone())
                        .label("no such flag")
                        .suggestion(closest(name, names.iter().copied())),
                );
            } else if let Some(flag) = declared.get(name) {
                for problem in entry.overlay.validate(flag, &entry.field) {
                    problems.push(locate_flag_problem(problem, &entry.spans));
                }
            }
        }
    }
    declared
        .iter()
        .map(|(name, flag)| {
            let entry = overlay.and_then(|env| env.flags.get(name));
            (
                name.clone(),
                EnvFlag::resolve(flag, entry.map(|entry| &entry.overlay)),
            )
        })
        .collect()
}

/// A warning for every declared flag whose `expires` is before `today`
/// (`YYYY-MM-DD`).
pub(crate) fn expiry_warnings(raw: &RawSpec, today: &str) -> Vec<SpecProblem> {
    raw.flags
        .declared
        .iter()
        .filter_map(|(name, flag)| expiry_warning(flag, &format!("flags.{name}"), today))
        .map(|warning| locate_flag_problem(warning, &raw.flags.spans))
        .collect()
}

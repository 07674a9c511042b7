//! What the release notes read of the daemon's telemetry: each env's
//! stored periods of a release and of its predecessor, summarised by
//! `daytwo_release::notes`. Reads `state.db` directly (WAL lets it beside a
//! running daemon) so `daytwo notes` works with the daemon stopped.

use crate::daemon::STORE_FILE;
use crate::error::DaemonError;
use daytwo_release::Manifest;
use daytwo_release::notes::{Behaviour, MeasuredEnv, Period};
use daytwo_store::Store;
use std::collections::BTreeSet;
use std::path::Path;

/// Per env declared by either release (and the default env): `new`'s behaviour there and `old`'s,
/// from the stored telemetry. Envs where `new` never ran are left out; no
/// state yet (no daemon ever ran in `home`) is an empty list.
pub fn measured_behaviour(
    home: &Path,
    new: &Manifest,
    old: Option<&Manifest>,
) -> Result<Vec<MeasuredEnv>, DaemonError> {
    let path = home.join(STORE_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let store = Store::open(&path)?;
    // The default env runs without being declared.
    let default_env = daytwo_spec::DEFAULT_ENV.to_string();
    let envs: BTreeSet<&String> = new
        .spec
        .envs
        .keys()
        .chain(old.into_iter().flat_map(|old| old.spec.envs.keys()))
        .chain([&default_env])
        .collect();
    let mut measured = Vec::new();
    for env in envs {
        let behaviour = |manifest: &Manifest| -> Result<Option<Behaviour>, DaemonError> {
            let periods: Vec<Period> = store
                .telemetry(env, &manifest.digest.to_string(), None)?
                .iter()
                .map(|row| Period {
                    at_seconds: row.at.as_millisecond() as f64 / 1000.0,
                    period_seconds: row.period.as_secs_f64(),
                    requests: row.requests,
                    errors_5xx: row.errors_5xx,
                    p99_ms: row.p99_ms,
                    cpu_seconds: row.cpu_seconds,
                    rss_bytes: row.rss_bytes,
                })
                .collect();
            Ok(Behaviour::from_periods(&periods))
        };
        if let Some(release) = behaviour(new)? {
            let previous = match old {
                Some(old) => behaviour(old)?,
                None => None,
            };
            measured.push(MeasuredEnv {
                env: env.clone(),
                release,
                previous,
            });
        }
    }
    Ok(measured)
}

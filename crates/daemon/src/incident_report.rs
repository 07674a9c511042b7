//! `daytwo incident list|show`: incidents and their timelines read from
//! `state.db` directly (WAL lets it beside a running daemon), so the
//! morning after works with the daemon stopped.

use crate::daemon::STORE_FILE;
use crate::error::DaemonError;
use daytwo_api::{Incident, IncidentTimeline, ReleaseRef, TimelineEntry};
use daytwo_store::{IncidentRecord, Store};
use jiff::Timestamp;
use std::path::Path;

/// Timeline entries shown at most (the newest).
const TIMELINE_LIMIT: u32 = 500;

/// The newest `limit` incidents (of `env`), newest first; none without
/// state.
pub fn list_incidents(
    home: &Path,
    env: Option<&str>,
    limit: u32,
) -> Result<Vec<Incident>, DaemonError> {
    let Some(store) = open(home)? else {
        return Ok(Vec::new());
    };
    Ok(store.incidents(env, limit)?.iter().map(incident).collect())
}

/// Incident `id` (the newest, of `env` when given, without an id) and its
/// timeline; `None` when there is no such incident.
pub fn incident_timeline(
    home: &Path,
    id: Option<i64>,
    env: Option<&str>,
) -> Result<Option<IncidentTimeline>, DaemonError> {
    let Some(store) = open(home)? else {
        return Ok(None);
    };
    let id = match id {
        Some(id) => id,
        None => match store.incidents(env, 1)?.first() {
            Some(newest) => newest.id,
            None => return Ok(None),
        },
    };
    let Some((record, events)) = store.incident_timeline(id, TIMELINE_LIMIT)? else {
        return Ok(None);
    };
    let first = events.first().map_or(record.opened_at, |event| event.ts);
    let timeline = events
        .into_iter()
        .map(|event| TimelineEntry {
            time: event.ts.to_string(),
            offset_ms: millis_between(first, event.ts),
            kind: event.kind,
            message: event.message,
            replica: event.replica.map(|replica| replica.to_string()),
        })
        .collect();
    Ok(Some(IncidentTimeline {
        incident: incident(&record),
        timeline,
    }))
}

fn open(home: &Path) -> Result<Option<Store>, DaemonError> {
    let path = home.join(STORE_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(Store::open(&path)?))
}

fn incident(record: &IncidentRecord) -> Incident {
    let end = record.closed_at.unwrap_or_else(Timestamp::now);
    Incident {
        id: record.id,
        env: record.env.clone(),
        release: record.release.as_ref().map(|release| ReleaseRef {
            version: release.version.clone(),
            digest: release.digest.clone(),
        }),
        deployment_id: record.deployment_id,
        opened_at: record.opened_at.to_string(),
        closed_at: record.closed_at.map(|at| at.to_string()),
        duration_ms: millis_between(record.opened_at, end),
        guard: record.guard.clone(),
        summary: record.summary.clone(),
    }
}

fn millis_between(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.as_millisecond() - from.as_millisecond()).unwrap_or(0)
}

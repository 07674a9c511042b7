//! `daytwo incident list|show`: incidents and their timelines (the env's
//! events, framed by the start and end of the deploy the incident belongs
//! to) read from `state.db` directly (WAL lets it beside a running daemon), so the
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
    // The deploy it happened in opens and closes the timeline.
    let deployment = match record.deployment_id {
        Some(id) => store.deployment(id)?,
        None => None,
    };
    let mut entries: Vec<(Timestamp, String, String, Option<String>)> = events
        .into_iter()
        .map(|event| {
            let replica = event.replica.map(|replica| replica.to_string());
            (event.ts, event.kind, event.message, replica)
        })
        .collect();
    if let Some(deployment) = &deployment {
        let from = deployment
            .from
            .as_ref()
            .map_or("nothing".to_string(), |from| from.version.clone());
        entries.push((
            deployment.started_at,
            format!("{}.started", deployment.kind),
            format!(
                "{} {from} → {} ({}) by {}",
                deployment.kind, deployment.to.version, deployment.strategy, deployment.user
            ),
            None,
        ));
        if let Some(finished) = deployment.finished_at {
            entries.push((
                finished,
                format!("{}.finished", deployment.kind),
                format!(
                    "{} of {} ended {}{}",
                    deployment.kind,
                    deployment.to.version,
                    deployment.outcome,
                    deployment.duration_ms.map_or(String::new(), |ms| format!(
                        " after {:.1}s",
                        ms as f64 / 1000.0
                    ))
                ),
                None,
            ));
        }
    }
    // Stable: events logged in the same millisecond keep their order.
    entries.sort_by_key(|entry| entry.0);
    let first = entries.first().map_or(record.opened_at, |entry| entry.0);
    let timeline = entries
        .into_iter()
        .map(|(at, kind, message, replica)| TimelineEntry {
            time: at.to_string(),
            offset_ms: millis_between(first, at),
            kind,
            message,
            replica,
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

//! The one task that talks to the flags server: re-evaluates every flag on
//! each poll tick and on each change event, stores the new values in the
//! shared atomics and logs every change. A failure keeps the last known
//! values and is logged once (until it is a different failure).

use super::BoolFlag;
use super::event_stream;
use super::ofrep_client::{BulkAnswer, BulkEvaluation, FlagResult, OfrepClient};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// What made the refresher fetch; shown on the "flag changed" line.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Poll,
    Event,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Poll => "poll",
            Self::Event => "event",
        }
    }
}

/// Runs until aborted: fetches at once, then on every `poll` tick and
/// every change event.
pub async fn run(client: OfrepClient, flags: Vec<BoolFlag>, poll: Duration) {
    let refetch = Arc::new(Notify::new());
    let (events_url, events_url_rx) = watch::channel(None);
    let _events = AbortOnDrop(tokio::spawn(event_stream::run(
        client.clone(),
        events_url_rx,
        Arc::clone(&refetch),
    )));
    let mut refresher = Refresher {
        client,
        flags,
        events_url,
        etag: None,
        connected: false,
        failure: None,
        problems: HashMap::new(),
    };
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let trigger = tokio::select! {
            _ = ticker.tick() => Trigger::Poll,
            () = refetch.notified() => Trigger::Event,
        };
        refresher.refresh(trigger).await;
    }
}

/// Aborts the event-stream task when the refresher stops.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Refresher {
    client: OfrepClient,
    flags: Vec<BoolFlag>,
    events_url: watch::Sender<Option<String>>,
    /// The last bulk answer's tag, sent as `If-None-Match`.
    etag: Option<String>,
    /// Whether a fetch has succeeded yet (logged once).
    connected: bool,
    /// The failure logged last, so a lasting outage is logged once.
    failure: Option<String>,
    /// Per flag, the problem logged last (not served, wrong type, …).
    problems: HashMap<&'static str, String>,
}

impl Refresher {
    async fn refresh(&mut self, trigger: Trigger) {
        match self.client.bulk(self.etag.as_deref()).await {
            Ok(BulkAnswer::NotModified) => self.reachable(),
            Ok(BulkAnswer::Evaluated(evaluation)) => {
                self.reachable();
                self.apply(evaluation, trigger);
            }
            Err(error) => {
                let text = error.to_string();
                if self.failure.as_ref() != Some(&text) {
                    let values: Vec<String> = self
                        .flags
                        .iter()
                        .map(|flag| format!("{}={}", flag.name(), flag.is_on()))
                        .collect();
                    tracing::error!(
                        error = text.as_str(),
                        status = error.status(),
                        kept = values.join(","),
                        "flags unavailable"
                    );
                    self.failure = Some(text);
                }
            }
        }
    }

    fn reachable(&mut self) {
        if self.failure.take().is_some() && self.connected {
            tracing::info!("flags available again");
        }
    }

    fn apply(&mut self, evaluation: BulkEvaluation, trigger: Trigger) {
        if !self.connected {
            self.connected = true;
            tracing::info!(
                etag = evaluation.etag.as_deref(),
                events = evaluation.event_stream.as_deref(),
                "flags connected"
            );
        }
        self.etag = evaluation.etag;
        if let Some(url) = evaluation.event_stream {
            self.events_url.send_if_modified(|current| {
                let changed = current.as_ref() != Some(&url);
                *current = Some(url);
                changed
            });
        }
        for flag in &self.flags {
            let problem = match evaluation.flags.get(flag.name()) {
                Some(FlagResult::Value {
                    value: Value::Bool(value),
                    reason,
                }) => {
                    let previous = flag.replace(*value);
                    if previous != *value {
                        tracing::info!(
                            flag = flag.name(),
                            value = *value,
                            previous,
                            reason = reason.as_deref(),
                            trigger = trigger.as_str(),
                            "flag changed"
                        );
                    }
                    None
                }
                Some(FlagResult::Value { value, .. }) => Some(format!(
                    "the server sent {value} for a boolean flag; fix its type in daytwo.toml"
                )),
                Some(FlagResult::Error { code, details }) => Some(format!("{code}: {details}")),
                None => Some(format!(
                    "the server does not serve it; declare [flags.{}] in daytwo.toml",
                    flag.name()
                )),
            };
            match problem {
                None => {
                    self.problems.remove(flag.name());
                }
                Some(problem) => {
                    if self.problems.get(flag.name()) != Some(&problem) {
                        tracing::warn!(
                            flag = flag.name(),
                            value = flag.is_on(),
                            problem = problem.as_str(),
                            "flag not evaluated"
                        );
                        self.problems.insert(flag.name(), problem);
                    }
                }
            }
        }
    }
}

//! The OFREP change events (Server-Sent Events, `GET /ofrep/v1/events`):
//! every `refetchEvaluation` event wakes the refresher at once, so a flip
//! is seen without waiting for the next poll. The stream is only a
//! shortcut: when it is down the poll still finds every change.

use super::ofrep_client::OfrepClient;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Wait before reconnecting a stream that ended or failed.
pub const RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// The event type that asks clients to re-evaluate.
const REFETCH_EVALUATION: &str = "refetchEvaluation";

/// Follows the stream at the URL `url` holds (set once the first bulk
/// answer advertised one), reconnecting forever; wakes `refetch` on each
/// `refetchEvaluation` event and after each (re)connect, since changes may
/// have been missed meanwhile.
pub async fn run(
    client: OfrepClient,
    mut url: watch::Receiver<Option<String>>,
    refetch: Arc<Notify>,
) {
    let mut last_failure: Option<String> = None;
    loop {
        let current = match url.wait_for(Option::is_some).await {
            Ok(current) => current.clone().unwrap_or_default(),
            Err(_) => return, // the refresher is gone
        };
        match client.events(&current).await {
            Ok(mut body) => {
                tracing::info!(url = current.as_str(), "flag events connected");
                last_failure = None;
                refetch.notify_one();
                let mut parser = EventParser::default();
                let ended = loop {
                    match body.frame().await {
                        None => break "the server closed the stream".to_string(),
                        Some(Err(error)) => break error.to_string(),
                        Some(Ok(frame)) => {
                            let Ok(data) = frame.into_data() else {
                                continue;
                            };
                            if parser.push(&data).iter().any(is_refetch) {
                                refetch.notify_one();
                            }
                        }
                    }
                };
                tracing::warn!(
                    url = current.as_str(),
                    error = ended.as_str(),
                    "flag events disconnected"
                );
            }
            Err(error) => {
                let text = error.to_string();
                if last_failure.as_ref() != Some(&text) {
                    tracing::warn!(error = text.as_str(), "flag events unavailable");
                    last_failure = Some(text);
                }
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

fn is_refetch(event: &SseEvent) -> bool {
    serde_json::from_str::<Value>(&event.data)
        .ok()
        .and_then(|data| data.get("type").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|kind| kind == REFETCH_EVALUATION)
}

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Splits an SSE byte stream into events (the WHATWG `text/event-stream`
/// rules this client needs: `event`, `data`, comments, CRLF or LF, chunks
/// that cut lines anywhere).
#[derive(Debug, Default)]
pub struct EventParser {
    line: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl EventParser {
    /// Feeds a chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(SseEvent {
                        event: std::mem::take(&mut self.event),
                        data: std::mem::take(&mut self.data).join("\n"),
                    });
                }
                self.event.clear();
                continue;
            }
            if line.starts_with(':') {
                continue; // a comment (keep-alive)
            }
            let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.event = value.to_string(),
                "data" => self.data.push(value.to_string()),
                _ => {} // id, retry: not needed here
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = "id: 7\nevent: message\ndata: {\"type\":\"refetchEvaluation\",\"etag\":\"\\\"a\\\"\",\"lastModified\":1}\n\n";

    #[test]
    fn parses_a_refetch_event_even_when_chunks_cut_its_lines() {
        let mut parser = EventParser::default();
        let bytes = EVENT.as_bytes();
        let mut events = parser.push(&bytes[..10]);
        assert!(events.is_empty());
        events.extend(parser.push(&bytes[10..]));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "message");
        assert!(is_refetch(&events[0]));
    }

    #[test]
    fn skips_keep_alive_comments_and_understands_crlf() {
        let mut parser = EventParser::default();
        let events = parser.push(b":\r\n\r\ndata: {\"type\":\"other\"}\r\n\r\n");
        assert_eq!(events.len(), 1, "the comment is no event: {events:?}");
        assert!(!is_refetch(&events[0]));
    }

    #[test]
    fn joins_multi_line_data() {
        let mut parser = EventParser::default();
        let events = parser.push(b"data: a\ndata: b\n\n");
        assert_eq!(events[0].data, "a\nb");
    }
}

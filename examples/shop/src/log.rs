//! Structured log lines on stdout: one JSON object per line, easy to grep and
//! to parse, e.g.
//!
//! ```text
//! {"ts":"2025-01-01T12:00:00.123456Z","level":"info","msg":"order created","order_id":3,"replica":"dev/web.1"}
//! ```
//!
//! Keys come in a fixed order: `ts`, `level`, `msg`, the event's own fields,
//! then `replica` (from `DAYTWO_REPLICA`) when known. The filter follows
//! `RUST_LOG` (default `info`). This module owns the format only; what gets
//! logged is decided where it happens.

use serde_json::Value;
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::registry::LookupSpan;

/// The filter used when `RUST_LOG` is unset or invalid.
pub const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber writing JSON lines to stdout.
pub fn init(replica: Option<String>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .event_format(JsonLines { replica })
        .init();
}

/// The event formatter: see the module docs for the shape of a line.
struct JsonLines {
    replica: Option<String>,
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut ts = String::new();
        SystemTime.format_time(&mut Writer::new(&mut ts))?;
        let mut fields = Fields::default();
        event.record(&mut fields);

        let mut line = String::with_capacity(128);
        line.push('{');
        push_pair(&mut line, "ts", &Value::String(ts));
        line.push(',');
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        push_pair(&mut line, "level", &Value::String(level));
        line.push(',');
        push_pair(&mut line, "msg", &Value::String(fields.msg));
        for (key, value) in &fields.rest {
            line.push(',');
            push_pair(&mut line, key, value);
        }
        if let Some(replica) = &self.replica {
            line.push(',');
            push_pair(&mut line, "replica", &Value::String(replica.clone()));
        }
        line.push('}');
        writeln!(writer, "{line}")
    }
}

fn push_pair(line: &mut String, key: &str, value: &Value) {
    // Serializing a `str` or a `Value` into a String cannot fail.
    let _ = write!(line, "{}:{}", Value::String(key.to_owned()), value);
}

/// Collects an event's fields in the order they were written.
#[derive(Default)]
struct Fields {
    msg: String,
    rest: Vec<(&'static str, Value)>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.msg = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.rest.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A `MakeWriter` that appends to a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn capture(replica: Option<&str>, emit: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .event_format(JsonLines {
                replica: replica.map(str::to_owned),
            })
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn writes_one_json_object_per_line_with_keys_in_a_fixed_order() {
        let output = capture(Some("dev/web.1"), || {
            tracing::info!(order_id = 3, total_cents = 1350, "order created");
        });
        assert!(
            output.ends_with('\n') && output.lines().count() == 1,
            "{output:?}"
        );
        let after_ts = output.split_once("\",\"level\"").expect("ts first").1;
        assert_eq!(
            after_ts,
            ":\"info\",\"msg\":\"order created\",\"order_id\":3,\"total_cents\":1350,\"replica\":\"dev/web.1\"}\n"
        );
        let line: Value = serde_json::from_str(&output).unwrap();
        assert!(line["ts"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn escapes_text_fields_and_omits_unknown_replica() {
        let output = capture(None, || {
            let path = "/a\"b";
            tracing::warn!(path, ok = true, "quote \" and\nnewline");
        });
        assert_eq!(output.lines().count(), 1, "{output:?}");
        let line: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(line["level"], "warn");
        assert_eq!(line["msg"], "quote \" and\nnewline");
        assert_eq!(line["path"], "/a\"b");
        assert_eq!(line["ok"], true);
        assert!(line.get("replica").is_none());
    }
}

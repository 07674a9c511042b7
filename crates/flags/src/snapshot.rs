//! The flags one env serves, published for a read-heavy hot path.
//!
//! Readers load the current [`FlagSnapshot`] from an `ArcSwap` (no lock);
//! a writer builds a new snapshot, swaps it in and notifies subscribers
//! (the SSE streams) through a `watch` channel. Writes are serialised by a
//! mutex that is never held across an `.await`.

use crate::error::FlagsError;
use arc_swap::ArcSwap;
use daytwo_spec::EnvFlag;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// One env's flags at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagSnapshot {
    pub env: String,
    pub flags: BTreeMap<String, EnvFlag>,
    /// Quoted entity tag (`"3f2a…"`): a hash of env and flags, so every
    /// replica serving the same flags gives the same tag.
    pub etag: String,
    /// Counts changes since the handle was created (SSE event ids).
    pub version: u64,
    /// Unix seconds of the last change.
    pub updated_at: u64,
}

impl FlagSnapshot {
    fn new(env: String, flags: BTreeMap<String, EnvFlag>, version: u64) -> Self {
        let etag = content_etag(&env, &flags);
        Self {
            env,
            flags,
            etag,
            version,
            updated_at: unix_now(),
        }
    }
}

/// A run-time change of one flag, for the caller to record (who, when and
/// why are the caller's).
#[derive(Debug, Clone)]
pub struct FlagChange {
    pub name: String,
    pub old: EnvFlag,
    pub new: EnvFlag,
    /// The snapshot now served.
    pub snapshot: Arc<FlagSnapshot>,
}

/// Cloneable handle to one env's flag snapshot: read it, change it,
/// subscribe to changes.
#[derive(Debug, Clone)]
pub struct FlagsHandle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    current: ArcSwap<FlagSnapshot>,
    changes: watch::Sender<Arc<FlagSnapshot>>,
    write: Mutex<()>,
    streams_closed: CancellationToken,
}

impl FlagsHandle {
    /// Serves `flags` for `env`. Flags are keyed by name.
    pub fn new(env: impl Into<String>, flags: impl IntoIterator<Item = EnvFlag>) -> Self {
        let flags = flags.into_iter().map(|f| (f.name.clone(), f)).collect();
        let snapshot = Arc::new(FlagSnapshot::new(env.into(), flags, 0));
        let (changes, _) = watch::channel(snapshot.clone());
        Self {
            inner: Arc::new(Inner {
                current: ArcSwap::new(snapshot),
                changes,
                write: Mutex::new(()),
                streams_closed: CancellationToken::new(),
            }),
        }
    }

    /// The snapshot served now.
    pub fn snapshot(&self) -> Arc<FlagSnapshot> {
        self.inner.current.load_full()
    }

    /// Borrow of the current snapshot for the hot path (no refcount
    /// traffic); do not hold it across an `.await`.
    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<FlagSnapshot>> {
        self.inner.current.load()
    }

    /// Receives every newly published snapshot (intermediate ones may be
    /// skipped when changes come faster than the receiver reads).
    pub fn subscribe(&self) -> watch::Receiver<Arc<FlagSnapshot>> {
        self.inner.changes.subscribe()
    }

    /// Replaces all flags (a redeploy with a new spec). Publishes and
    /// notifies only when something changed; returns the served snapshot.
    pub fn replace(&self, flags: impl IntoIterator<Item = EnvFlag>) -> Arc<FlagSnapshot> {
        let flags: BTreeMap<String, EnvFlag> =
            flags.into_iter().map(|f| (f.name.clone(), f)).collect();
        self.update(|_| Ok::<_, FlagsError>(flags))
            .map(|(snapshot, _)| snapshot)
            .unwrap_or_else(|_| self.snapshot())
    }

    /// Sets the env value of flag `name` (what `daytwo flags set` does),
    /// checked against the flag's type.
    pub fn set_value(&self, name: &str, value: Value) -> Result<FlagChange, FlagsError> {
        self.change(name, |flag| {
            flag.check_value(&value)
                .map_err(|problem| FlagsError::InvalidValue {
                    name: name.to_string(),
                    problem,
                })?;
            flag.value = value;
            Ok(())
        })
    }

    /// Enables or disables flag `name` (disabled serves its default).
    pub fn set_enabled(&self, name: &str, enabled: bool) -> Result<FlagChange, FlagsError> {
        self.change(name, |flag| {
            flag.enabled = enabled;
            Ok(())
        })
    }

    /// Replaces one flag's whole effective state (value, targeting, …).
    /// Refused when the flag is inconsistent (see [`EnvFlag::problems`]).
    pub fn set_flag(&self, flag: EnvFlag) -> Result<FlagChange, FlagsError> {
        if let Some(problem) = flag.problems().into_iter().next() {
            return Err(FlagsError::InvalidFlag {
                name: flag.name.clone(),
                problem,
            });
        }
        let name = flag.name.clone();
        self.change(&name, move |current| {
            *current = flag;
            Ok(())
        })
    }

    /// Ends every open SSE event stream (before a graceful shutdown, which
    /// would otherwise wait for them forever).
    pub fn close_event_streams(&self) {
        self.inner.streams_closed.cancel();
    }

    pub(crate) fn streams_closed(&self) -> CancellationToken {
        self.inner.streams_closed.clone()
    }

    fn change(
        &self,
        name: &str,
        edit: impl FnOnce(&mut EnvFlag) -> Result<(), FlagsError>,
    ) -> Result<FlagChange, FlagsError> {
        let mut old = None;
        let mut new = None;
        let (snapshot, _) = self.update(|current| {
            let mut flags = current.flags.clone();
            let flag = flags.get_mut(name).ok_or_else(|| FlagsError::UnknownFlag {
                env: current.env.clone(),
                name: name.to_string(),
            })?;
            old = Some(flag.clone());
            edit(flag)?;
            new = Some(flag.clone());
            Ok(flags)
        })?;
        Ok(FlagChange {
            name: name.to_string(),
            old: old.expect("set by the update"),
            new: new.expect("set by the update"),
            snapshot,
        })
    }

    /// Builds the next flag map from the current snapshot and publishes it
    /// when it differs. Returns the served snapshot and whether it changed.
    fn update<E>(
        &self,
        next: impl FnOnce(&FlagSnapshot) -> Result<BTreeMap<String, EnvFlag>, E>,
    ) -> Result<(Arc<FlagSnapshot>, bool), E> {
        let _writer = self.inner.write.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.inner.current.load_full();
        let flags = next(&current)?;
        if flags == current.flags {
            return Ok((current, false));
        }
        let snapshot = Arc::new(FlagSnapshot::new(
            current.env.clone(),
            flags,
            current.version + 1,
        ));
        self.inner.current.store(snapshot.clone());
        self.inner.changes.send_replace(snapshot.clone());
        Ok((snapshot, true))
    }
}

/// `"<32 hex digits>"`: SHA-256 of the canonical JSON of env and flags.
fn content_etag(env: &str, flags: &BTreeMap<String, EnvFlag>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(env.as_bytes());
    hasher.update([0]);
    let json = serde_json::to_value(flags).unwrap_or(Value::Null);
    hasher.update(canonical_json(&json).as_bytes());
    quoted_hex(&hasher.finalize()[..16])
}

/// JSON with object keys sorted at every level, whatever map order
/// serde_json was built with.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub(crate) fn quoted_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2 + 2);
    out.push('"');
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out.push('"');
    out
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_spec::FlagType;
    use serde_json::json;

    fn analytics() -> EnvFlag {
        EnvFlag {
            name: "analytics".into(),
            description: "analytics pipeline".into(),
            kind: FlagType::Boolean,
            enabled: true,
            value: json!(false),
            default: json!(false),
            variants: BTreeMap::new(),
            targeting: None,
            owner: None,
            expires: None,
        }
    }

    #[test]
    fn etags_depend_on_content_only() {
        let a = FlagsHandle::new("prod", [analytics()]);
        let b = FlagsHandle::new("prod", [analytics()]);
        assert_eq!(a.snapshot().etag, b.snapshot().etag);
        assert_ne!(
            a.snapshot().etag,
            FlagsHandle::new("qa", [analytics()]).snapshot().etag
        );
    }

    #[test]
    fn setting_a_value_publishes_a_new_snapshot_and_notifies() {
        let handle = FlagsHandle::new("prod", [analytics()]);
        let mut changes = handle.subscribe();
        let before = handle.snapshot();
        let change = handle.set_value("analytics", json!(true)).unwrap();
        assert_eq!(
            (change.old.value, change.new.value),
            (json!(false), json!(true))
        );
        let after = handle.snapshot();
        assert_ne!(before.etag, after.etag);
        assert_eq!(after.version, 1);
        assert!(changes.has_changed().unwrap());
        assert_eq!(changes.borrow_and_update().etag, after.etag);
        // Setting the same value again changes nothing.
        handle.set_value("analytics", json!(true)).unwrap();
        assert_eq!(handle.snapshot().version, 1);
        assert!(!changes.has_changed().unwrap());
    }

    #[test]
    fn values_of_the_wrong_type_and_unknown_flags_are_refused() {
        let handle = FlagsHandle::new("prod", [analytics()]);
        assert!(matches!(
            handle.set_value("analytics", json!("yes")),
            Err(FlagsError::InvalidValue { .. })
        ));
        assert!(matches!(
            handle.set_value("nope", json!(true)),
            Err(FlagsError::UnknownFlag { .. })
        ));
        assert_eq!(handle.snapshot().version, 0);
    }

    #[test]
    fn canonical_json_sorts_keys() {
        assert_eq!(
            canonical_json(&json!({"b": 1, "a": [{"d": 2, "c": 3}]})),
            r#"{"a":[{"c":3,"d":2}],"b":1}"#
        );
    }
}

//! `daytwo incident list|show`: incidents and their timelines, read from
//! the state directory with no daemon running. The store holds what a
//! rolled-back canary leaves (its incident, events of prod and of another
//! env); the canary end-to-end tests in the daemon make real ones.

use crate::app::home;
use daytwo_store::{DeployedRelease, NewEvent, NewIncident, Store};
use jiff::Timestamp;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn event(at: &str, env: &str, kind: &str, message: &str) -> NewEvent {
    NewEvent {
        ts: ts(at),
        env: Some(env.to_string()),
        ..NewEvent::new(kind, message)
    }
}

#[test]
fn incidents_list_and_show_their_timeline_without_a_daemon() {
    let home = home();
    let empty = home.run(&["incident", "list", "--json"]).success().json();
    assert_eq!(empty, serde_json::json!([]));
    let none = home.run(&["incident", "show"]);
    assert_eq!(none.code, Some(1), "{none:#?}");
    assert!(none.stderr.contains("no incidents yet"), "{none:#?}");

    let store = Store::open(home.path().join("state.db")).unwrap();
    for (at, env, kind, message) in [
        ("2026-11-27T02:00:00Z", "prod", "canary.step", "v2 at 25 %"),
        ("2026-11-27T02:00:05Z", "staging", "flag.set", "elsewhere"),
        (
            "2026-11-27T02:00:14.5Z",
            "prod",
            "canary.guard_failed",
            "memory_growth: +2.1 MiB/min",
        ),
        (
            "2026-11-27T02:00:14.9Z",
            "prod",
            "canary.rolled_back",
            "v1 serves 100 %",
        ),
        (
            "2026-11-27T02:10:00Z",
            "prod",
            "env.up",
            "later, not part of it",
        ),
    ] {
        store.append_event(event(at, env, kind, message)).unwrap();
    }
    let id = store
        .open_incident(&NewIncident {
            env: "prod".into(),
            release: Some(DeployedRelease {
                version: "v2".into(),
                digest: Some("sha256:22".into()),
            }),
            deployment_id: None,
            opened_at: ts("2026-11-27T02:00:00Z"),
            guard: Some("memory_growth".into()),
            summary: "canary v2 rolled back: memory grows".into(),
        })
        .unwrap();
    store
        .close_incident(id, ts("2026-11-27T02:00:15Z"), None)
        .unwrap();
    drop(store);

    let list = home
        .run(&["incident", "list", "--env", "prod", "--json"])
        .success()
        .json();
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["guard"], "memory_growth");
    assert_eq!(list[0]["release"]["version"], "v2");
    assert_eq!(list[0]["duration_ms"], 15_000);
    assert_eq!(list[0]["closed_at"], "2026-11-27T02:00:15Z");
    let other = home
        .run(&["incident", "list", "--env", "qa", "--json"])
        .success()
        .json();
    assert_eq!(other, serde_json::json!([]));

    let shown = home
        .run(&["incident", "show", &id.to_string(), "--json"])
        .success()
        .json();
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["canary.step", "canary.guard_failed", "canary.rolled_back"],
        "only prod's events within the incident: {shown:#}"
    );
    assert_eq!(shown["timeline"][1]["offset_ms"], 14_500);
    assert_eq!(
        shown["incident"]["summary"],
        "canary v2 rolled back: memory grows"
    );

    // Without an id: the newest incident; human output has the offsets.
    let text = home.run(&["incident", "show"]).success().stdout;
    assert!(
        text.contains("incident 1 · prod · v2 · guard memory_growth · closed after 15.0s"),
        "{text}"
    );
    assert!(text.contains("+14.5s"), "{text}");
    assert!(text.contains("memory_growth: +2.1 MiB/min"), "{text}");
    assert!(!text.contains("later, not part of it"), "{text}");

    let unknown = home.run(&["incident", "show", "99"]);
    assert_eq!(unknown.code, Some(1), "{unknown:#?}");
    assert!(unknown.stderr.contains("no incident 99"), "{unknown:#?}");
}

//! `daytwo incident list|show`: incidents and their timelines, read from
//! the state directory with no daemon running. The store holds what a
//! rolled-back canary leaves (its incident, events of prod and of another
//! env); the canary end-to-end tests in the daemon make real ones.

use crate::app::home;
use daytwo_store::{
    DeployedRelease, DeploymentEnd, DeploymentRecord, NewEvent, NewIncident, Store,
};
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
    let deployment = store
        .start_deployment(&DeploymentRecord {
            id: 0,
            env: "prod".into(),
            kind: "promote".into(),
            from: Some(DeployedRelease {
                version: "v1".into(),
                digest: Some("sha256:11".into()),
            }),
            to: DeployedRelease {
                version: "v2".into(),
                digest: Some("sha256:22".into()),
            },
            strategy: "canary".into(),
            user: "dana".into(),
            started_at: ts("2026-11-27T01:59:58Z"),
            finished_at: None,
            outcome: "running".into(),
            duration_ms: None,
            message: None,
            logs: Vec::new(),
            plan_json: None,
            failed_guard: None,
        })
        .unwrap();
    store
        .finish_deployment(
            deployment,
            &DeploymentEnd {
                outcome: "rolled_back".into(),
                finished_at: ts("2026-11-27T02:00:15Z"),
                message: None,
                logs: Vec::new(),
                failed_guard: Some("memory_growth".into()),
            },
        )
        .unwrap();
    let id = store
        .open_incident(&NewIncident {
            env: "prod".into(),
            release: Some(DeployedRelease {
                version: "v2".into(),
                digest: Some("sha256:22".into()),
            }),
            deployment_id: Some(deployment),
            opened_at: ts("2026-11-27T02:00:14.5Z"),
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
    assert_eq!(list[0]["duration_ms"], 500);
    assert_eq!(list[0]["deployment_id"], deployment);
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
        [
            "promote.started",
            "canary.step",
            "canary.guard_failed",
            "canary.rolled_back",
            "promote.finished"
        ],
        "the deploy's frame and prod's events within it: {shown:#}"
    );
    assert_eq!(
        shown["timeline"][0]["message"],
        "promote v1 → v2 (canary) by dana"
    );
    assert_eq!(shown["timeline"][2]["offset_ms"], 16_500);
    assert_eq!(
        shown["incident"]["summary"],
        "canary v2 rolled back: memory grows"
    );

    // Without an id: the newest incident; human output has the offsets.
    let text = home.run(&["incident", "show"]).success().stdout;
    assert!(
        text.contains("incident 1 · prod · v2 · guard memory_growth · closed after 0.5s"),
        "{text}"
    );
    assert!(text.contains("+16.5s"), "{text}");
    assert!(text.contains("promote of v2 ended rolled_back"), "{text}");
    assert!(text.contains("memory_growth: +2.1 MiB/min"), "{text}");
    assert!(!text.contains("later, not part of it"), "{text}");

    let unknown = home.run(&["incident", "show", "99"]);
    assert_eq!(unknown.code, Some(1), "{unknown:#?}");
    assert!(unknown.stderr.contains("no incident 99"), "{unknown:#?}");
}

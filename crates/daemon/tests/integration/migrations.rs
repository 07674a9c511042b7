//! Migrations as a deploy phase, end to end: real bundles whose manifests
//! carry linted migrations, a real child daemon applying them to a SQLite
//! file in the test's temp dir, python replicas reading that database. And
//! `up` applying an env's pending migrations, into its data directory,
//! before it starts anything.

use crate::deploy_fixture::{
    AppSource, SERVING, SMOKE_OK, deploy, deploy_request, finish, import, serving, trust,
};
use crate::http_app::get;
use crate::support::{ChildDaemon, InProcessDaemon, TestHome, env_spec, process, unique_sleep};
use daytwo_api::{ApiErrorBody, ClientError, DeployProgress, RollbackRequest, UpRequest};
use daytwo_spec::MigrationsSpec;
use std::collections::BTreeSet;
use std::net::SocketAddr;

const CREATE_ITEMS: (&str, &str) = (
    "0001_items.sql",
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
     INSERT INTO items (name) VALUES ('apple'), ('pear');",
);
const ADD_COLOR: (&str, &str) = (
    "0002_color.sql",
    "ALTER TABLE items ADD COLUMN color TEXT;\nCREATE TABLE visits (id INTEGER PRIMARY KEY, item INTEGER);",
);
const DROP_NAME: (&str, &str) = ("0002_drop_name.sql", "ALTER TABLE items DROP COLUMN name;");

fn api_error(error: ClientError) -> ApiErrorBody {
    match error {
        ClientError::Api { body, .. } => body,
        other => panic!("expected an API error, got {other}"),
    }
}

async fn items(addr: SocketAddr) -> (u16, String) {
    tokio::task::spawn_blocking(move || get(addr, "/items").expect("GET /items"))
        .await
        .unwrap()
}

fn rollback_request(force: bool) -> RollbackRequest {
    RollbackRequest {
        to: None,
        user: "tester".into(),
        force,
    }
}

/// The schema history's versions, in order.
fn applied_versions(app: &AppSource) -> Vec<i64> {
    let db = rusqlite::Connection::open(app.database()).unwrap();
    let mut statement = db
        .prepare("SELECT version FROM daytwo_schema_history ORDER BY version")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// An app source and a daemon whose `prod` trusts the test key.
async fn started(home: &TestHome) -> (AppSource, ChildDaemon) {
    trust(home, "prod");
    (AppSource::new(), ChildDaemon::start(home).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expand_migration_deploys_and_rolls_back_with_the_old_code_still_working() {
    let home = TestHome::new();
    let client = home.client();
    let (app, _daemon) = started(&home).await;
    let v1 = app.build_with_migrations("1.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS]);
    let v2 = app.build_with_migrations("2.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS, ADD_COLOR]);
    let r1 = import(&client, &v1).await;
    let r2 = import(&client, &v2).await;

    let first = deploy(&client, "prod", "1.0.0").await;
    assert_eq!(first.outcome, "succeeded", "{first:?}");
    assert_eq!(applied_versions(&app), [1]);
    assert_eq!(items(app.prod).await, (200, "apple,pear".to_string()));

    let stream = client
        .deploy("prod", &deploy_request("2.0.0"))
        .await
        .unwrap();
    let (steps, second) = finish(stream).await;
    assert_eq!(second.outcome, "succeeded", "{second:?}");
    assert!(
        steps.iter().any(|step| matches!(step,
            DeployProgress::StepFinished { step, ok: true, message, .. }
                if step == "migrate" && message.contains("0002_color.sql"))),
        "the stream shows the migrate step: {steps:?}"
    );
    assert_eq!(applied_versions(&app), [1, 2]);
    assert_eq!(
        serving(app.prod, 4).await,
        BTreeSet::from([r2.digest.clone()])
    );

    let (_, back) = finish(
        client
            .rollback("prod", &rollback_request(false))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(back.outcome, "succeeded", "{back:?}");
    assert_eq!(
        serving(app.prod, 4).await,
        BTreeSet::from([r1.digest.clone()])
    );
    assert_eq!(
        items(app.prod).await,
        (200, "apple,pear".to_string()),
        "1.0.0 still works against the expanded schema"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_release_needs_allow_contract_and_rolling_back_across_it_needs_force() {
    let home = TestHome::new();
    let client = home.client();
    let (app, _daemon) = started(&home).await;
    let v1 = app.build_with_migrations("1.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS]);
    let v2 = app.build_with_migrations("2.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS, DROP_NAME]);
    let r1 = import(&client, &v1).await;
    let r2 = import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");

    let refused = api_error(
        client
            .deploy("prod", &deploy_request("2.0.0"))
            .await
            .err()
            .expect("a contract release is refused"),
    );
    assert_eq!(refused.code, "contract_migration");
    assert!(
        refused.message.contains("migrations/0002_drop_name.sql")
            && refused.message.contains("drop-column"),
        "{}",
        refused.message
    );
    assert!(
        refused
            .hint
            .unwrap_or_default()
            .contains("--allow-contract")
    );
    assert_eq!(applied_versions(&app), [1], "nothing ran");
    assert_eq!(
        serving(app.prod, 4).await,
        BTreeSet::from([r1.digest.clone()])
    );

    let mut allowed = deploy_request("2.0.0");
    allowed.allow_contract = true;
    let (_, second) = finish(client.deploy("prod", &allowed).await.unwrap()).await;
    assert_eq!(second.outcome, "succeeded", "{second:?}");
    assert_eq!(applied_versions(&app), [1, 2]);

    let crossing = api_error(
        client
            .rollback("prod", &rollback_request(false))
            .await
            .err()
            .expect("rolling back across the contract migration is refused"),
    );
    assert_eq!(crossing.code, "rollback_crosses_contract");
    assert!(
        crossing.message.contains("0002_drop_name.sql") && crossing.message.contains("2.0.0"),
        "{}",
        crossing.message
    );
    assert_eq!(
        serving(app.prod, 4).await,
        BTreeSet::from([r2.digest.clone()])
    );

    let (_, forced) = finish(
        client
            .rollback("prod", &rollback_request(true))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forced.outcome, "succeeded", "{forced:?}");
    assert!(
        forced
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("forced rollback across contract migrations"),
        "history records the override: {forced:?}"
    );
    assert_eq!(serving(app.prod, 4).await, BTreeSet::from([r1.digest]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_migration_aborts_the_deploy_and_the_old_release_keeps_serving() {
    let home = TestHome::new();
    let client = home.client();
    let (app, _daemon) = started(&home).await;
    let v1 = app.build_with_migrations("1.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS]);
    let broken = (
        "0002_broken.sql",
        "ALTER TABLE items ADD COLUMN note TEXT;\nINSERT INTO no_such_table (x) VALUES (1);",
    );
    let v2 = app.build_with_migrations("2.0.0", SERVING, SMOKE_OK, &[CREATE_ITEMS, broken]);
    let r1 = import(&client, &v1).await;
    import(&client, &v2).await;
    assert_eq!(deploy(&client, "prod", "1.0.0").await.outcome, "succeeded");
    let replicas_before = client.ps(Some("prod")).await.unwrap().len();

    let (steps, failed) = finish(
        client
            .deploy("prod", &deploy_request("2.0.0"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(failed.outcome, "failed", "{failed:?}");
    let message = failed.message.unwrap_or_default();
    assert!(
        message.contains("migration failed") && message.contains("0002_broken.sql"),
        "{message}"
    );
    assert!(
        steps.iter().any(|step| matches!(step,
            DeployProgress::StepFinished { step, ok: false, .. } if step == "migrate")),
        "{steps:?}"
    );
    assert_eq!(
        applied_versions(&app),
        [1],
        "the failed migration left no history row"
    );
    assert_eq!(serving(app.prod, 4).await, BTreeSet::from([r1.digest]));
    assert_eq!(
        client.ps(Some("prod")).await.unwrap().len(),
        replicas_before
    );
    assert_eq!(
        items(app.prod).await,
        (200, "apple,pear".to_string()),
        "the transactional migration left the schema as it was"
    );
    let db = rusqlite::Connection::open(app.database()).unwrap();
    let note_column: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'note'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(note_column, 0);
}

/// An `up` of env `test` (one sleeping replica) whose `[migrations]` are
/// `files` against the relative `sqlite://app.db`.
fn up_with_migrations(home: &TestHome, files: &[(&str, &str)]) -> UpRequest {
    let dir = home.path().join("app-migrations");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).unwrap();
    }
    let sleep = unique_sleep();
    UpRequest {
        spec: env_spec(
            "test",
            home.path(),
            vec![process("web", &format!("exec sleep {sleep}"), 1)],
        ),
        release: "working-tree".to_string(),
        migrations: Some(MigrationsSpec {
            dir,
            database: Some("sqlite://app.db".to_string()),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_applies_pending_migrations_into_the_env_data_dir_and_a_failure_starts_nothing() {
    let home = TestHome::new();
    let _daemon = InProcessDaemon::start(&home).await;
    let client = home.client();
    let database = home.path().join("data/test/app.db");

    let broken = (
        "0002_broken.sql",
        "INSERT INTO no_such_table (x) VALUES (1);",
    );
    let refused = api_error(
        client
            .up(&up_with_migrations(&home, &[CREATE_ITEMS, broken]))
            .await
            .expect_err("a failing migration fails up"),
    );
    assert_eq!(refused.code, "migration_failed");
    assert!(
        refused.message.contains("0002_broken.sql") && refused.message.contains("no_such_table"),
        "{}",
        refused.message
    );
    assert!(
        client.ps(Some("test")).await.unwrap().is_empty(),
        "nothing started"
    );
    assert!(client.status().await.unwrap().envs.is_empty());

    let started = client
        .up(&up_with_migrations(&home, &[CREATE_ITEMS, ADD_COLOR]))
        .await
        .unwrap();
    let files: Vec<&str> = started.migrations.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(
        files,
        ["0002_color.sql"],
        "0001 was applied by the failed up"
    );
    assert_eq!(started.replicas.len(), 1);
    let db = rusqlite::Connection::open(&database).unwrap();
    let names: String = db
        .query_row("SELECT group_concat(name) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        names, "apple,pear",
        "the relative path is in the env's data dir"
    );
    let digests: Option<String> = db
        .query_row(
            "SELECT max(release_digest) FROM daytwo_schema_history",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(digests, None, "the working tree has no release digest");
}

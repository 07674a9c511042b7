//! `daytwo migrate lint|status|up` through the CLI, on SQLite, and `daytwo
//! up` applying an env's pending migrations before it starts anything. A
//! relative `sqlite://PATH` lives in the env's data directory
//! (`$DAYTWO_HOME/data/<env>/`), the replicas' `DAYTWO_DATA_DIR`.

use crate::app::home;
use crate::lifecycle::http_get;
use daytwo_testkit::eventually;
use std::time::Duration;

fn migrations(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (name, sql) in files {
        std::fs::write(migrations.join(name), sql).unwrap();
    }
    dir
}

#[test]
fn lint_json_classifies_each_statement_and_fails_on_contract() {
    let project = migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);\nALTER TABLE orders ADD COLUMN note TEXT;\n",
        ),
        ("0002_drop.sql", "ALTER TABLE orders DROP COLUMN note;\n"),
    ]);
    let dir = project.path().join("migrations");
    let home = home();
    let output = home.run(&[
        "migrate",
        "lint",
        "--dir",
        dir.to_str().unwrap(),
        "--dialect",
        "sqlite",
        "--json",
    ]);
    assert_eq!(
        output.code,
        Some(1),
        "a contract finding fails: {output:#?}"
    );
    let value = output.json();
    let findings = value["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{value:#}");
    for finding in findings {
        for field in ["file", "line", "statement", "class", "rule", "message"] {
            assert!(!finding[field].is_null(), "{field} missing in {finding:#}");
        }
    }
    let drop = findings
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("0002_drop.sql"))
        .unwrap();
    assert_eq!(drop["class"], "contract");
    assert_eq!(drop["line"], 1);

    // Expand-only migrations pass.
    std::fs::remove_file(dir.join("0002_drop.sql")).unwrap();
    home.run(&[
        "migrate",
        "lint",
        "--dir",
        dir.to_str().unwrap(),
        "--dialect",
        "sqlite",
    ])
    .success();
}

#[test]
fn up_applies_pending_migrations_to_the_env_database_once() {
    let project = migrations(&[(
        "0001_create.sql",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    )]);
    let spec = project.path().join("daytwo.toml");
    std::fs::write(
        &spec,
        "[app]\nname = \"m\"\n\n[process.web]\ncommand = \"true\"\n\n[migrations]\ndir = \"migrations\"\ndatabase = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let spec = spec.to_str().unwrap();
    let home = home();
    let pending = home
        .run(&["migrate", "status", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(pending[0]["state"], "pending", "{pending:#}");
    let applied = home
        .run(&["migrate", "up", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(applied.as_array().unwrap().len(), 1);
    let again = home
        .run(&["migrate", "up", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(again.as_array().unwrap().len(), 0, "applied once");
    let status = home
        .run(&["migrate", "status", "--spec", spec, "--json"])
        .success()
        .json();
    assert_eq!(status[0]["state"], "applied", "{status:#}");
    assert!(
        home.path().join("data/dev/app.db").is_file(),
        "a relative sqlite path is in the env's data dir"
    );
    assert!(!project.path().join("app.db").exists());

    // Another env has its own database, in its own data dir.
    let qa = home
        .run(&["migrate", "status", "--spec", spec, "--env", "qa", "--json"])
        .success()
        .json();
    assert_eq!(qa[0]["state"], "pending", "{qa:#}");
    assert!(
        !home.path().join("data/qa/app.db").exists(),
        "status creates no database"
    );
    home.run(&["migrate", "up", "--spec", spec, "--env", "qa"])
        .success();
    assert!(home.path().join("data/qa/app.db").is_file());
}

/// A web process that answers `GET /items` (also its health check) from
/// `$DAYTWO_DATA_DIR/app.db`: it is healthy only once the migrations ran
/// against the file it reads.
const ITEMS_PY: &str = r#"
import http.server, os, sqlite3

DB = os.path.join(os.environ["DAYTWO_DATA_DIR"], "app.db")

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            rows = sqlite3.connect(DB).execute("SELECT name FROM items ORDER BY id").fetchall()
            status, body = 200, ",".join(row[0] for row in rows).encode()
        except Exception as error:
            status, body = 500, str(error).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass

http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

const ITEMS_SPEC: &str = r#"[app]
name = "items"

[process.web]
command = "python3 app.py"
http = true
health = { path = "/items", interval = "200ms", timeout = "200ms" }
stop_timeout = "2s"

[migrations]
dir = "migrations"
database = "sqlite://app.db"
"#;

const CREATE_ITEMS: (&str, &str) = (
    "0001_items.sql",
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
     INSERT INTO items (name) VALUES ('apple'), ('pear');\n",
);

/// A project running [`ITEMS_PY`] with `files` as its migrations.
fn items_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let project = migrations(files);
    std::fs::write(project.path().join("app.py"), ITEMS_PY).unwrap();
    std::fs::write(project.path().join("daytwo.toml"), ITEMS_SPEC).unwrap();
    project
}

#[test]
fn up_applies_pending_migrations_into_the_env_data_dir_before_starting_replicas() {
    let project = items_project(&[CREATE_ITEMS]);
    let spec = project.path().join("daytwo.toml").display().to_string();
    let home = home();

    let up = home
        .run(&["up", "--spec", &spec, "--env", "dev", "--detach", "--json"])
        .success()
        .json();
    assert_eq!(up["migrations"][0]["file"], "0001_items.sql", "{up:#}");
    assert!(home.path().join("data/dev/app.db").is_file());

    let port = eventually("the replica is healthy", Duration::from_secs(20), || {
        let ps = home.run(&["ps", "--json"]).success().json();
        match ps.as_array().unwrap().as_slice() {
            [replica] if replica["state"] == "healthy" => {
                Ok(replica["port"].as_u64().unwrap() as u16)
            }
            _ => Err(format!("{ps:#}")),
        }
    });
    assert_eq!(
        http_get(port, "/items").unwrap(),
        "apple,pear",
        "the app reads the database the migrations created"
    );

    let status = home
        .run(&["migrate", "status", "--spec", &spec, "--json"])
        .success()
        .json();
    assert_eq!(status[0]["state"], "applied", "{status:#}");
    let events = home
        .run(&["events", "--env", "dev", "--json"])
        .success()
        .json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "env.migrated"
                && event["message"]
                    .as_str()
                    .unwrap()
                    .contains("0001_items.sql")),
        "{events:#}"
    );

    // Up again: nothing pending, nothing applied, still serving.
    let again = home
        .run(&["up", "--spec", &spec, "--env", "dev", "--detach", "--json"])
        .success()
        .json();
    assert!(again.get("migrations").is_none(), "{again:#}");
}

#[test]
fn a_failing_migration_makes_up_fail_naming_it_and_starts_nothing() {
    let broken = (
        "0002_broken.sql",
        "ALTER TABLE items ADD COLUMN note TEXT;\nINSERT INTO no_such_table (x) VALUES (1);\n",
    );
    let project = items_project(&[CREATE_ITEMS, broken]);
    let spec = project.path().join("daytwo.toml").display().to_string();
    let home = home();

    let up = home.run(&["up", "--spec", &spec, "--env", "dev", "--detach"]);
    assert_ne!(up.code, Some(0), "{up:#?}");
    assert!(
        up.stderr.contains("0002_broken.sql")
            && up.stderr.contains("no_such_table")
            && up.stderr.contains("line 2")
            && up.stderr.contains("was not started"),
        "{up:#?}"
    );
    assert!(
        up.stderr.contains("daytwo migrate status --env dev"),
        "the hint: {up:#?}"
    );

    let ps = home.run(&["ps", "--json"]).success().json();
    assert_eq!(ps, serde_json::json!([]), "no replica started");
    let status = home.run(&["status", "--json"]).success().json();
    assert_eq!(status["envs"], serde_json::json!([]), "{status:#}");

    // 0001 stays applied; 0002 rolled back as a whole.
    let migrations = home
        .run(&["migrate", "status", "--spec", &spec, "--json"])
        .success()
        .json();
    assert_eq!(migrations[0]["state"], "applied", "{migrations:#}");
    assert_eq!(migrations[1]["state"], "pending", "{migrations:#}");

    let events = home
        .run(&["events", "--env", "dev", "--json"])
        .success()
        .json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "env.up_failed"
                && event["message"]
                    .as_str()
                    .unwrap()
                    .contains("0002_broken.sql")),
        "{events:#}"
    );

    // Fixed, `up` applies it and starts. Its ADD COLUMN succeeds: the failed
    // attempt left the schema as it was.
    std::fs::write(
        project.path().join("migrations/0002_broken.sql"),
        "ALTER TABLE items ADD COLUMN note TEXT;\n",
    )
    .unwrap();
    let fixed = home
        .run(&["up", "--spec", &spec, "--env", "dev", "--detach", "--json"])
        .success()
        .json();
    assert_eq!(
        fixed["migrations"][0]["file"], "0002_broken.sql",
        "{fixed:#}"
    );
    assert_eq!(fixed["replicas"].as_array().unwrap().len(), 1, "{fixed:#}");
}

#[test]
fn check_lints_the_spec_migrations_and_fails_on_an_unacknowledged_contract() {
    let project = migrations(&[
        (
            "0001_create.sql",
            "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT);\n",
        ),
        (
            "0002_rename.sql",
            "ALTER TABLE products RENAME COLUMN name TO title;\n",
        ),
    ]);
    let spec = project.path().join("daytwo.toml");
    std::fs::write(
        &spec,
        "[app]\nname = \"m\"\n\n[process.web]\ncommand = \"true\"\n\n[migrations]\ndir = \"migrations\"\ndatabase = \"sqlite://app.db\"\n",
    )
    .unwrap();
    let home = home();
    let output = home.run(&["check", "--json", "--spec", spec.to_str().unwrap()]);
    assert_eq!(output.code, Some(1), "{output:#?}");
    let value = output.json();
    let findings = value["migrations_findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["class"] == "contract"
            && f["file"].as_str().unwrap().ends_with("0002_rename.sql")),
        "{value:#}"
    );
}

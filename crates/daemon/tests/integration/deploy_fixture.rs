//! Releases for the deploy tests: an app directory whose spec declares
//! `prod` and `qa` listeners, built into signed bundles with a test key
//! (`daytwo_release::build`), imported and deployed over the control API.

use crate::http_app::{free_listen, get};
use crate::support::TestHome;
use daytwo_api::{Client, DeployProgress, DeployRecord, DeployRequest, ImportRequest, ReleaseInfo};
use daytwo_release::{BuildOptions, SigningKey};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Answers `/whoami` with `<DAYTWO_RELEASE> <DAYTWO_REPLICA>`, `/healthz`
/// 200, `/slow` after a second, and `/items` with the names of the `items`
/// table of the SQLite file named in `db.txt` (500 with the error when the
/// query fails).
const APP_PY: &str = r#"
import http.server, os, sqlite3, time

WHO = os.environ["DAYTWO_RELEASE"] + " " + os.environ["DAYTWO_REPLICA"]
print("booting", WHO, flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(1.0)
        status, data = 200, WHO.encode()
        if self.path == "/items":
            try:
                with open("db.txt") as f:
                    db = sqlite3.connect(f.read().strip())
                rows = db.execute("SELECT name FROM items ORDER BY id").fetchall()
                db.close()
                data = ",".join(r[0] for r in rows).encode()
            except Exception as e:
                status, data = 500, str(e).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
server.daemon_threads = True
server.serve_forever()
"#;

/// A smoke check that passes when the candidate answers `/whoami`.
pub const SMOKE_OK: &str = "python3 -c \\\"import os, urllib.request; urllib.request.urlopen(os.environ['DAYTWO_SMOKE_URL'] + '/whoami', timeout=5)\\\"";
/// A web command that starts and dies at once.
pub const CRASHING: &str = "echo booting the broken release; exit 3";
pub const SERVING: &str = "python3 app.py";

/// The builder's key, trusted by the envs of the tests.
pub fn key() -> SigningKey {
    SigningKey::from_seed([7; 32])
}

/// An app directory plus the env listeners its spec declares.
pub struct AppSource {
    dir: tempfile::TempDir,
    pub prod: SocketAddr,
    pub qa: SocketAddr,
}

impl AppSource {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("app dir");
        std::fs::write(dir.path().join("app.py"), APP_PY).unwrap();
        Self {
            dir,
            prod: free_listen(),
            qa: free_listen(),
        }
    }

    /// Builds a signed bundle of `version` whose web process runs `command`
    /// and whose smoke check is `smoke`; returns its path.
    pub fn build(&self, version: &str, command: &str, smoke: &str) -> PathBuf {
        self.build_spec(version, command, smoke, "", "")
    }

    /// Like [`Self::build`], with `section` (e.g. a `[rollout]` table)
    /// added to the spec.
    pub fn build_with_section(&self, version: &str, command: &str, section: &str) -> PathBuf {
        self.build_spec(version, command, SMOKE_OK, "", section)
    }

    /// The SQLite database the migrations of [`Self::build_with_migrations`]
    /// target.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("app.db")
    }

    /// Like [`Self::build`], with `[migrations]` holding exactly `files`
    /// (`(file name, SQL)`) against [`Self::database`].
    pub fn build_with_migrations(
        &self,
        version: &str,
        command: &str,
        smoke: &str,
        files: &[(&str, &str)],
    ) -> PathBuf {
        let dir = self.dir.path().join("migrations");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, sql) in files {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        let database = self.database();
        std::fs::write(
            self.dir.path().join("db.txt"),
            database.display().to_string(),
        )
        .unwrap();
        let section = format!(
            "[migrations]\ndir = \"migrations\"\ndatabase = \"sqlite://{}\"\n",
            database.display()
        );
        self.build_spec(version, command, smoke, ", \"db.txt\"", &section)
    }

    fn build_spec(
        &self,
        version: &str,
        command: &str,
        smoke: &str,
        extra_artifacts: &str,
        extra_section: &str,
    ) -> PathBuf {
        let spec = format!(
            r#"[app]
name = "shop"

[process.web]
command = "{command}"
http = true
replicas = 2
stop_timeout = "3s"
health = {{ path = "/healthz", interval = "200ms", timeout = "200ms", start_period = "5s" }}

[build]
artifacts = ["app.py", "version.txt"{extra_artifacts}]

{extra_section}
[checks]
smoke = "{smoke}"

[env.prod]
listen = "{prod}"

[env.qa]
listen = "{qa}"
"#,
            prod = self.prod,
            qa = self.qa,
        );
        build_bundle(self.dir.path(), &spec, version)
    }
}

/// Writes `spec` and `version.txt` into `dir` and builds a bundle signed with
/// the test key into `dir/out`; its path.
pub fn build_bundle(dir: &Path, spec: &str, version: &str) -> PathBuf {
    std::fs::write(dir.join("daytwo.toml"), spec).unwrap();
    std::fs::write(dir.join("version.txt"), version).unwrap();
    let loaded = daytwo_spec::load_with(&dir.join("daytwo.toml"), &|_| None)
        .expect("the test spec is valid");
    daytwo_release::build(
        &loaded.spec,
        Some(version.to_string()),
        &BuildOptions {
            output_dir: dir.join("out"),
            signing_key: Some(key()),
            source_date_epoch: Some(0),
        },
    )
    .expect("build the bundle")
    .path
}

/// Trusts the test key for `env` in `home`.
pub fn trust(home: &TestHome, env: &str) {
    let file = home.path().join("builder.pub");
    std::fs::write(&file, key().public_key().to_file_text()).unwrap();
    daytwo_release::trust::trust(home.path(), env, &file).expect("trust the test key");
}

pub async fn import(client: &Client, bundle: &std::path::Path) -> ReleaseInfo {
    client
        .import(&ImportRequest {
            path: bundle.display().to_string(),
        })
        .await
        .expect("import")
}

pub fn deploy_request(release: &str) -> DeployRequest {
    DeployRequest {
        release: release.to_string(),
        strategy: None,
        user: "tester".to_string(),
        allow_contract: false,
    }
}

/// Reads a deploy's stream to its end: the step items and the record.
pub async fn finish(mut stream: daytwo_api::DeployStream) -> (Vec<DeployProgress>, DeployRecord) {
    let mut steps = Vec::new();
    while let Some(item) = stream.next().await.expect("read the stream") {
        match item {
            DeployProgress::Result { record } => return (steps, *record),
            step => steps.push(step),
        }
    }
    panic!("the stream ended without a result; steps: {steps:?}");
}

pub async fn deploy(client: &Client, env: &str, release: &str) -> DeployRecord {
    let stream = client
        .deploy(env, &deploy_request(release))
        .await
        .expect("deploy accepted");
    finish(stream).await.1
}

/// The releases that answered `count` requests to `addr` (`DAYTWO_RELEASE` values).
pub async fn serving(addr: SocketAddr, count: usize) -> std::collections::BTreeSet<String> {
    tokio::task::spawn_blocking(move || {
        (0..count)
            .map(|_| match get(addr, "/whoami") {
                Ok((200, body)) => body.split(' ').next().unwrap_or_default().to_string(),
                Ok((status, body)) => format!("HTTP {status}: {body}"),
                Err(error) => format!("error: {error}"),
            })
            .collect()
    })
    .await
    .unwrap()
}

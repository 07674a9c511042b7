//! A tiny real HTTP app (python3) and spec files for the tests.

use daytwo_testkit::DaytwoHome;
use std::path::{Path, PathBuf};

pub const APP_PY: &str = r#"
import http.server, json, os, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            body = b"ok"
        elif self.path == "/whoami":
            body = json.dumps({k: os.environ.get(k) for k in
                ["DAYTWO_ENV", "DAYTWO_RELEASE", "DAYTWO_REPLICA", "GREETING"]}).encode()
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("request " + (fmt % args), flush=True)

port = int(os.environ["PORT"])
print(f"listening on {port} as {os.environ.get('DAYTWO_REPLICA')}", flush=True)
print("a line on stderr", file=sys.stderr, flush=True)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"#;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_daytwo")
}

/// A project directory with `app.py` and a `daytwo.toml`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(spec: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp project dir");
        std::fs::write(dir.path().join("app.py"), APP_PY).unwrap();
        std::fs::write(dir.path().join("daytwo.toml"), spec).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn spec(&self) -> PathBuf {
        self.dir.path().join("daytwo.toml")
    }

    pub fn spec_arg(&self) -> String {
        self.spec().display().to_string()
    }
}

/// Two web replicas with a fast HTTP health check and a worker.
pub fn web_spec(listen_port: u16) -> String {
    format!(
        r#"
[app]
name = "hello"

[process.web]
command = "python3 app.py"
http = true
replicas = 2
health = {{ path = "/healthz", interval = "200ms", timeout = "1s" }}
stop_timeout = "2s"
environment = {{ GREETING = "hi" }}

[process.worker]
command = "python3 -c 'import time\nwhile True: print(\"tick\", flush=True); time.sleep(0.2)'"

[env.dev]
listen = "127.0.0.1:{listen_port}"
"#
    )
}

pub fn home() -> DaytwoHome {
    DaytwoHome::new(bin())
}

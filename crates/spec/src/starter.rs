//! `daytwo init`: a commented starter spec with one web process and the
//! `dev` and `prod` envs. Its command runs as is (Python's static file
//! server), so `daytwo up` works before the user edits anything.

/// The starter `daytwo.toml` text for app `app_name` (made a valid app name
/// with [`crate::app_name_from`] if it is not one).
pub fn starter(app_name: &str) -> String {
    let app_name = if crate::is_valid_app_name(app_name) {
        app_name.to_string()
    } else {
        crate::app_name_from(app_name)
    };
    STARTER.replace("{APP_NAME}", &app_name)
}

const STARTER: &str = r#"# daytwo.toml: how to run this app, in every environment.
# Every key is described in docs/spec.md. `daytwo check` validates this file.
# Strings may use ${VAR} (from the environment) or ${VAR:-default}; write $${
# for a literal ${. $PORT and ${DAYTWO_*} in commands are left for the shell.

[app]
name = "{APP_NAME}"   # lowercase letters, digits and `-`

# One [process.NAME] table per kind of process.
[process.web]
# Shell command, run with `sh -c` in this file's directory. Replace it with
# your app's start command; it must listen on 127.0.0.1:$PORT.
command = "python3 -m http.server --bind 127.0.0.1 $PORT"
http = true            # serves HTTP on $PORT; the env's listener routes to it
replicas = 2           # copies to run (default 1)
# Health check: exactly one of `path` (HTTP GET, 2xx/3xx is healthy),
# `tcp = true` or `command` (exit 0 is healthy), plus optional timings.
health = { path = "/", interval = "2s", timeout = "1s", healthy_threshold = 1, unhealthy_threshold = 3, start_period = "30s" }
memory_limit = "256MiB"    # whole process tree; "512MB", "1GiB" or bytes
stop_signal = "SIGTERM"    # sent first on stop (SIGINT, SIGQUIT, … also work)
stop_timeout = "10s"       # then SIGKILL after this long
environment = { GREETING = "hello" }   # extra env vars of the process
# How crashed replicas are restarted (these are the defaults):
# restart = { backoff = "1s", max_backoff = "1m", crashloop_threshold = 5, crashloop_window = "1m", reset_after = "30s" }

# A background process without HTTP:
# [process.worker]
# command = "python3 worker.py"

# How `daytwo deploy` moves requests to a new release (default: rolling).
# A canary sends a growing share to it while guards compare it with the
# running release (error rate, p99 latency, restarts and memory growth are
# on by default) and roll it back at the first failure:
# [rollout]
# strategy = "canary"
# steps = [10, 50, 100]     # percent of requests at each step
# step_duration = "20s"
# [rollout.guards]
# remediation = "alert"     # after promotion, on a leak: alert, rollback, flag-off NAME

# Alertmanager-compatible webhooks for rolled-back canaries and leaks:
# [alerts]
# webhooks = ["http://127.0.0.1:9093/hook"]

# Envs: overlays over the processes above. `dev` is used when no --env is given.
[env.dev]
listen = "127.0.0.1:8080"   # where the env's load balancer accepts HTTP

[env.prod]
listen = "127.0.0.1:8083"

# An overlay may change replicas, environment (merged), limits, health, command.
[env.prod.process.web]
replicas = 3
environment = { GREETING = "hello from prod" }
"#;

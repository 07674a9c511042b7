//! `daytwo init --procfile`: a Heroku/foreman Procfile (`name: command`
//! lines, `#` comments, blank lines) becomes `daytwo.toml` text.
//!
//! The `web` process becomes the HTTP process with a TCP health check;
//! `$PORT` stays as written (the engine sets it). `${` in commands is
//! written as `$${` so the shell, not daytwo, expands it at run time, as
//! foreman would.

use crate::code;
use crate::diagnostic::{SpecProblem, SpecReport};
use crate::error::SpecError;
use crate::walk::is_simple_name;
use std::fmt::Write as _;

/// The process Heroku routes HTTP to.
const WEB_PROCESS: &str = "web";
/// Heroku's release-phase command: runs once per deploy, not a service.
const RELEASE_PROCESS: &str = "release";
/// The name problems are reported under.
const PROCFILE_NAME: &str = "Procfile";
/// Where the converted spec's `dev` env listens.
const CONVERTED_DEV_LISTEN: &str = "127.0.0.1:8080";

/// Converts Procfile text into daytwo.toml text for app `app_name` (made a
/// valid app name with [`crate::app_name_from`] if it is not one).
pub fn convert(text: &str, app_name: &str) -> Result<String, SpecError> {
    let processes = parse(text)?;
    let app_name = if crate::is_valid_app_name(app_name) {
        app_name.to_string()
    } else {
        crate::app_name_from(app_name)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# daytwo.toml converted from a Procfile (`daytwo init --procfile`)."
    );
    let _ = writeln!(out, "# Every key is described in docs/spec.md.");
    let _ = writeln!(out);
    let _ = writeln!(out, "[app]");
    let _ = writeln!(out, "name = {}", quote(&app_name));
    for (name, command) in &processes {
        let _ = writeln!(out);
        if name == RELEASE_PROCESS {
            let _ = writeln!(
                out,
                "# Heroku's release phase runs once per deploy, not as a service;"
            );
            let _ = writeln!(out, "# kept here for reference:");
            let _ = writeln!(out, "# [process.release]");
            let _ = writeln!(out, "# command = {}", quote(command));
            continue;
        }
        let _ = writeln!(out, "[process.{name}]");
        let _ = writeln!(out, "command = {}", quote(&command.replace("${", "$${")));
        if name == WEB_PROCESS {
            let _ = writeln!(
                out,
                "http = true  # serves HTTP on $PORT; the env's listener routes to it"
            );
            let _ = writeln!(out, "replicas = 1");
            let _ = writeln!(
                out,
                "# TCP connect to $PORT; use `{{ path = \"/healthz\" }}` once the app has a health endpoint."
            );
            let _ = writeln!(out, "health = {{ tcp = true }}");
        }
    }
    if processes.iter().any(|(name, _)| name == WEB_PROCESS) {
        let _ = writeln!(out);
        let _ = writeln!(out, "[env.dev]");
        let _ = writeln!(out, "listen = {}", quote(CONVERTED_DEV_LISTEN));
    }
    Ok(out)
}

/// `(name, command)` in Procfile order, or every bad line at once.
fn parse(text: &str) -> Result<Vec<(String, String)>, SpecError> {
    let mut processes: Vec<(String, String)> = Vec::new();
    let mut problems = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let span = start..start + line.len();
        let field = format!("line {}", index + 1);
        let Some((name, command)) = line.split_once(':') else {
            problems.push(
                SpecProblem::error(
                    code::PROCFILE_INVALID_LINE,
                    format!("line {} is not `name: command`", index + 1),
                )
                .field(field)
                .span(span)
                .label("no `:`")
                .hint("write `name: command`, e.g. `web: python3 app.py --port $PORT`"),
            );
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let command = command.trim();
        if !is_simple_name(&name) {
            problems.push(
                SpecProblem::error(
                    code::PROCFILE_INVALID_LINE,
                    format!("`{name}` is not a valid process name"),
                )
                .field(field)
                .span(span)
                .label("bad process name")
                .hint("process names are letters, digits, `-` and `_`, starting with a letter"),
            );
        } else if command.is_empty() {
            problems.push(
                SpecProblem::error(
                    code::PROCFILE_INVALID_LINE,
                    format!("process `{name}` has no command"),
                )
                .field(field)
                .span(span)
                .label("empty command")
                .hint("write the command after the `:`"),
            );
        } else if processes.iter().any(|(declared, _)| *declared == name) {
            problems.push(
                SpecProblem::error(
                    code::PROCFILE_DUPLICATE_PROCESS,
                    format!("process `{name}` is declared twice"),
                )
                .field(field)
                .span(span)
                .label("second declaration")
                .hint("give every process its own name"),
            );
        } else {
            processes.push((name, command.to_string()));
        }
    }
    if problems.is_empty() && processes.iter().all(|(name, _)| name == RELEASE_PROCESS) {
        problems.push(
            SpecProblem::error(
                code::PROCFILE_EMPTY,
                "the Procfile declares no long-running process",
            )
            .span(0..0)
            .hint("add a line `web: <command>` for the process that serves HTTP on $PORT"),
        );
    }
    if problems.is_empty() {
        Ok(processes)
    } else {
        Err(SpecError::Invalid(Box::new(SpecReport::new(
            PROCFILE_NAME,
            text,
            problems,
        ))))
    }
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

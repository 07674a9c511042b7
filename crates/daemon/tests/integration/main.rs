//! Integration tests of the daemon: the real `run` (in-process, or as the
//! harness binary in a child process) on a temporary `DAYTWO_HOME`, driven
//! over its unix socket with `daytwo_api::Client`, supervising real replica
//! processes through the engine's shim.

mod alerts;
mod api;
mod background;
mod canary;
mod canary_bench;
mod canary_fixture;
mod deploy;
mod deploy_fixture;
mod envs;
mod flags;
mod http_app;
mod logs;
mod metrics;
mod migrations;
mod proxy;
mod readopt;
mod steady_watch;
mod strategy;
mod support;

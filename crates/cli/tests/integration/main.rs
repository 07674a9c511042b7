//! End-to-end tests of the real `daytwo` binary: it starts its daemon in a
//! temporary `DAYTWO_HOME`, which runs real replica processes on 127.0.0.1.

mod app;
mod deploys;
mod flags;
mod incident;
mod lifecycle;
mod migrate;
mod notes;
mod proxy;
mod readoption;
mod releases;
mod spec_commands;
mod why;

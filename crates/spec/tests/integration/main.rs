//! Integration tests of daytwo-spec: real files in temp dirs, the public API.

mod bad_spec;
mod build;
mod contract;
mod diff;
mod env_select;
mod find;
mod flags;
mod interpolation;
mod migrations;
mod overlay;
mod procfile;
mod reference;
mod rollout;
mod starter;
mod warnings;

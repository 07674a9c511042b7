//! Integration tests of daytwo-release: real specs and files in temp dirs,
//! real bundles, real `sh` build commands and git repositories, and hostile
//! archives crafted with the `tar` crate's low-level header API.

mod build;
mod keys;
mod malicious;
mod migrations;
mod notes;
mod store;
mod support;
mod tamper;

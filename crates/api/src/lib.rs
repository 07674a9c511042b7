//! The control API between the `daytwo` CLI and the daemon: HTTP/JSON over the
//! unix socket `$DAYTWO_HOME/daytwo.sock`.
//!
//! This crate owns the request/response types (`types`, which are also the
//! CLI's `--json` output) and a typed `Client`. It does not own the server:
//! that is `daytwo-daemon`, which implements these routes.
//!
//! | method | path | body → answer |
//! |---|---|---|
//! | GET | `/v1/status` | → `Status` |
//! | GET | `/v1/ps?env=` | → `[ReplicaInfo]` |
//! | POST | `/v1/envs/{env}/up` | `UpRequest` → `EnvReplicas` (once started) |
//! | POST | `/v1/envs/{env}/down` | → `EnvReplicas` (once all exited) |
//! | GET | `/v1/logs?…` | `LogQuery` → NDJSON stream of `LogLine` |
//! | GET | `/v1/events?env=&limit=` | → `[Event]` |
//! | POST | `/v1/shutdown` | stops the daemon, replicas keep running |
//! | POST | `/v1/releases` | `ImportRequest` → `ReleaseInfo` |
//! | GET | `/v1/releases` | → `[ReleaseInfo]` |
//! | POST | `/v1/envs/{env}/deploy` | `DeployRequest` → NDJSON stream of `DeployProgress` |
//! | POST | `/v1/envs/{env}/promote` | `PromoteRequest` → NDJSON stream of `DeployProgress` |
//! | POST | `/v1/envs/{env}/rollback` | `RollbackRequest` → NDJSON stream of `DeployProgress` |
//! | GET | `/v1/history?env=` | → `[DeployRecord]`, newest first |
//! | GET | `/v1/flags?env=` | → `[FlagInfo]` |
//! | POST | `/v1/envs/{env}/flags/{name}` | `SetFlagRequest` → `FlagInfo` (once served) |
//! | GET | `/v1/flags/history?env=&name=` | → `[FlagChangeInfo]`, oldest first |

mod client;
mod types;

pub use client::{Client, ClientError, DeployStream, LogStream};
pub use types::*;

/// File name of the control socket inside `DAYTWO_HOME`.
pub const SOCKET_FILE: &str = "daytwo.sock";
/// File name of the daemon's pid file inside `DAYTWO_HOME`.
pub const PID_FILE: &str = "daytwo.pid";

//! The OFREP server over real loopback sockets: protocol shapes with a
//! plain HTTP client, and a real OpenFeature SDK (node) as the client.

mod auth;
mod errors;
mod evaluation;
mod events;
mod openfeature_sdk;
mod support;

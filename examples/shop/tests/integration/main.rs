//! Integration tests: the real `shop` binary on 127.0.0.1, a temp SQLite
//! file migrated with the shop's own migrations, plain HTTP/1.1 over a
//! TcpStream, real signals, and a real daytwo OFREP server for its feature
//! flags.

mod api;
mod flag_server;
mod flags;
mod http;
mod lifecycle;
mod rollups;
mod schema;
mod shop;
mod spec;
mod worker;

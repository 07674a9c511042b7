//! Integration tests: the real `shop` binary on 127.0.0.1, a temp SQLite
//! file, plain HTTP/1.1 over a TcpStream, real signals.

mod api;
mod http;
mod lifecycle;
mod shop;
mod spec;
mod worker;

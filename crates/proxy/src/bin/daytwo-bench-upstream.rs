//! A minimal HTTP/1.1 upstream for `bench/proxy.sh`: answers every request
//! with a short text naming itself. Usage: `daytwo-bench-upstream ADDR NAME`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::process::ExitCode;
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(addr), name) = (
        args.next(),
        args.next().unwrap_or_else(|| "upstream".into()),
    ) else {
        eprintln!("usage: daytwo-bench-upstream ADDR [NAME]");
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let listener = match TcpListener::bind(&addr).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("daytwo-bench-upstream: cannot listen on {addr}: {err}");
                return ExitCode::FAILURE;
            }
        };
        let body = Bytes::from(format!("hello from {name}\n"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_request: Request<hyper::body::Incoming>| {
                    let body = body.clone();
                    async move { Ok::<_, Infallible>(Response::new(Full::new(body))) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

//! Restart and upgrade of the proxy process itself: a second process takes
//! the listening sockets over, and clients see no refused connection.

use crate::support::*;
use daytwo_proxy::{ProxyClient, ProxyInfo};
use daytwo_testkit::{ChildGuard, pid_alive};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn spawn_proxy(home: &Path) -> ChildGuard {
    let child = Command::new(env!("CARGO_BIN_EXE_daytwo-proxy"))
        .arg("--home")
        .arg(home)
        .args([
            "--drain-timeout-ms",
            "3000",
            "--no-access-log",
            "--threads",
            "2",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn daytwo-proxy");
    ChildGuard::new(child)
}

/// One request on a new connection, `Connection: close`; `Err` on a refused
/// or broken connection or a non-200 answer.
fn one_request(addr: SocketAddr) -> Result<(), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    stream
        .write_all(b"GET /whoami HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("answer: {answer:?}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_under_load_refuses_no_connection() {
    let (a, b) = (
        TestUpstream::start("dev/web.1").await,
        TestUpstream::start("dev/web.2").await,
    );
    let home = tempfile::Builder::new()
        .prefix("d2h-")
        .tempdir_in("/tmp")
        .unwrap();
    let old = spawn_proxy(home.path());
    let old_info = wait_for_info(home.path(), None).await;
    assert_eq!(old_info.pid, old.pid());
    let addr = free_addr();
    let routes = table(
        3,
        addr,
        vec![(
            "stable",
            100,
            vec![a.upstream("r1", true), b.upstream("r1", true)],
        )],
    );
    let client = ProxyClient::for_home(home.path());
    assert!(client.put_routes(&routes).await.unwrap().applied);

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            std::thread::spawn(move || {
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match one_request(addr) {
                        Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(error) => {
                            errors.push(error);
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
                errors
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let new = spawn_proxy(home.path());
    let new_info: ProxyInfo = wait_for_info(home.path(), Some(old.pid())).await;
    assert_eq!(new_info.pid, new.pid());
    assert_eq!(
        new_info.metrics_addr, old_info.metrics_addr,
        "metrics address survives"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while pid_alive(old.pid()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !pid_alive(old.pid()),
        "the old proxy did not exit after the handover"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let errors: Vec<String> = load.into_iter().flat_map(|t| t.join().unwrap()).collect();

    assert!(
        ok.load(Ordering::Relaxed) > 100,
        "too little load: {}",
        ok.load(Ordering::Relaxed)
    );
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed requests: {errors:?}"
    );
    // The new process took the table over and serves the control socket.
    let status = client.status().await.unwrap();
    assert_eq!(status.pid, new.pid());
    assert_eq!(client.routes().await.unwrap(), routes);
    let next = table(4, addr, vec![("stable", 100, vec![b.upstream("r1", true)])]);
    assert!(client.put_routes(&next).await.unwrap().applied);
    assert_eq!(get(addr, "/whoami").await.body, "dev/web.2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_proxy_removes_its_socket_and_info_files() {
    let home = tempfile::Builder::new()
        .prefix("d2h-")
        .tempdir_in("/tmp")
        .unwrap();
    let mut proxy = spawn_proxy(home.path());
    wait_for_info(home.path(), None).await;
    proxy.signal(nix::sys::signal::Signal::SIGTERM);
    let status = proxy.child().wait().unwrap();
    assert!(status.success(), "{status:?}");
    for file in ["proxy.sock", "proxy-handover.sock", "proxy.json"] {
        assert!(!home.path().join(file).exists(), "{file} left behind");
    }
}

//! Socket handover between an old and a new proxy process, so a restart or
//! upgrade refuses no connection. The listening sockets are passed with
//! `SCM_RIGHTS` (as HAProxy, Envoy and sozu do), through rustix's safe
//! `sendmsg`/`recvmsg`, which hand out `OwnedFd`s.
//!
//! ```text
//! new process                         old process (listens on proxy-handover.sock)
//!   connect, "HANDOVER\n"  ───────────>  stop applying route tables (503 "handover")
//!                          <───────────  [len][fds: control, metrics, env listeners…] + JSON {table, addrs}
//!   accept on the inherited sockets,
//!   adopt the table, write proxy.json,
//!   bind proxy-handover.sock anew
//!   "READY\n"              ───────────>  stop accepting, drain connections, exit
//! ```
//!
//! Both processes accept from the same kernel sockets (the same accept
//! queues) during the overlap, so no connection attempt meets a closed
//! port. If the new process dies before READY, the old one simply carries on.

use crate::route_table::RouteTable;
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

const REQUEST: &[u8] = b"HANDOVER\n";
const READY: &str = "READY";
/// Most sockets one handover passes (the kernel's SCM_MAX_FD is 253).
pub const MAX_HANDOVER_FDS: usize = 250;
/// How long the old process waits for the new one to report READY.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long either side waits for the other's message.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);

/// What accompanies the sockets: the route table and which env address each
/// listener socket is bound to (in the order of the file descriptors after
/// the control and metrics sockets).
#[derive(Debug, Serialize, Deserialize)]
pub struct HandoverState {
    pub table: RouteTable,
    pub metrics_addr: SocketAddr,
    pub listeners: Vec<SocketAddr>,
}

/// Sockets and state received from the old process.
#[derive(Debug)]
pub struct Inherited {
    pub control: std::os::unix::net::UnixListener,
    pub metrics: std::net::TcpListener,
    pub listeners: Vec<(SocketAddr, std::net::TcpListener)>,
    pub state: HandoverState,
    stream: UnixStream,
}

impl Inherited {
    /// Tells the old process that this one serves now.
    pub fn ready(mut self) -> std::io::Result<()> {
        self.stream.write_all(format!("{READY}\n").as_bytes())
    }
}

/// Asks a running proxy for its sockets. `Ok(None)` if none answers.
/// Blocking: run it on a blocking thread.
pub fn request(socket: &Path) -> std::io::Result<Option<Inherited>> {
    let mut stream = match UnixStream::connect(socket) {
        Ok(stream) => stream,
        Err(err)
            if matches!(
                err.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(err) => return Err(err),
    };
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    stream.write_all(REQUEST)?;

    let mut len = [0u8; 8];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_HANDOVER_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = rustix::net::recvmsg(
        &stream,
        &mut [IoSliceMut::new(&mut len)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut fds: Vec<OwnedFd> = Vec::new();
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(rights) = message {
            fds.extend(rights);
        }
    }
    if received.bytes < len.len() {
        stream.read_exact(&mut len[received.bytes..])?;
    }
    let mut json = vec![0u8; u64::from_be_bytes(len) as usize];
    stream.read_exact(&mut json)?;
    let state: HandoverState = serde_json::from_slice(&json).map_err(std::io::Error::other)?;
    if fds.len() != state.listeners.len() + 2 {
        return Err(std::io::Error::other(format!(
            "expected {} sockets from the running proxy, got {}",
            state.listeners.len() + 2,
            fds.len()
        )));
    }
    let mut fds = fds.into_iter();
    let control = std::os::unix::net::UnixListener::from(fds.next().expect("counted"));
    let metrics = std::net::TcpListener::from(fds.next().expect("counted"));
    let listeners = state
        .listeners
        .iter()
        .copied()
        .zip(fds.map(std::net::TcpListener::from))
        .collect();
    Ok(Some(Inherited {
        control,
        metrics,
        listeners,
        state,
        stream,
    }))
}

/// The old process's side: sends `state` with the sockets, then waits for
/// READY. `Ok(true)` when the new process took over. Blocking.
pub fn send(
    mut stream: UnixStream,
    state: &HandoverState,
    sockets: &[BorrowedFd<'_>],
) -> std::io::Result<bool> {
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if line.as_bytes() != REQUEST {
        return Err(std::io::Error::other(format!(
            "unexpected handover request {line:?}"
        )));
    }
    if sockets.len() > MAX_HANDOVER_FDS {
        return Err(std::io::Error::other("too many listeners to hand over"));
    }
    let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let len = (json.len() as u64).to_be_bytes();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(sockets.len()))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(sockets)) {
        return Err(std::io::Error::other(
            "socket list does not fit the control message",
        ));
    }
    let sent = rustix::net::sendmsg(
        &stream,
        &[IoSlice::new(&len)],
        &mut control,
        SendFlags::empty(),
    )?;
    stream.write_all(&len[sent..])?;
    stream.write_all(&json)?;

    stream.set_read_timeout(Some(READY_TIMEOUT))?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    Ok(line.trim() == READY)
}

/// Borrows the descriptors in the order [`request`] expects.
pub fn borrow_all<'a>(
    control: &'a impl AsFd,
    metrics: &'a impl AsFd,
    listeners: &'a [impl AsFd],
) -> Vec<BorrowedFd<'a>> {
    let mut fds = vec![control.as_fd(), metrics.as_fd()];
    fds.extend(listeners.iter().map(AsFd::as_fd));
    fds
}

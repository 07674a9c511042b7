//! Free port allocation for HTTP replicas (`$PORT`).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};

/// Attempts before giving up on finding a port not already handed out.
const ALLOCATE_ATTEMPTS: usize = 16;

/// A port on 127.0.0.1 that the OS reports free and that is not in `taken`.
/// The probe listener is closed before returning, so the replica can bind it.
pub(crate) fn allocate(taken: &BTreeSet<u16>) -> std::io::Result<u16> {
    let mut last = 0;
    for _ in 0..ALLOCATE_ATTEMPTS {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        last = listener.local_addr()?.port();
        if !taken.contains(&last) {
            return Ok(last);
        }
    }
    Ok(last)
}

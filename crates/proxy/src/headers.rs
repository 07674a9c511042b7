//! Header rewriting between client and upstream: hop-by-hop headers are
//! removed (RFC 9110 §7.6.1), `X-Forwarded-For` is appended to,
//! `X-Forwarded-Proto` and `X-Forwarded-Host` are set (the proxy is the edge:
//! it knows the scheme and host the client used), and `X-Request-Id` is kept
//! when the client sent a usable one, generated otherwise.

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::net::IpAddr;

pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's request id longer than this is replaced by a generated one.
const MAX_REQUEST_ID_LEN: usize = 200;

const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// Whether the request asks to switch protocols (a WebSocket handshake).
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("upgrade"))
}

/// Removes hop-by-hop headers, including those named by `Connection`. With
/// `upgrade`, keeps `Upgrade` and sends `Connection: upgrade` on.
pub fn remove_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    // Most messages have none: one pass over their few names is cheaper
    // than looking each hop-by-hop name up.
    let any = headers
        .keys()
        .any(|name| *name == header::UPGRADE || HOP_BY_HOP.contains(name));
    if !any && !upgrade {
        return;
    }
    if let Some(connection) = headers.get(header::CONNECTION).cloned()
        && let Ok(list) = connection.to_str()
    {
        for name in list.split(',') {
            let name = name.trim();
            if !name.eq_ignore_ascii_case("upgrade") && !name.is_empty() {
                headers.remove(name);
            }
        }
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else {
        headers.remove(header::UPGRADE);
    }
}

/// The client's `X-Request-Id` if usable, else a new random one.
pub fn request_id(headers: &HeaderMap) -> HeaderValue {
    match headers.get(&X_REQUEST_ID) {
        Some(value) if !value.is_empty() && value.len() <= MAX_REQUEST_ID_LEN => value.clone(),
        _ => generate_request_id(),
    }
}

/// 128 random bits as 32 hex digits.
pub fn generate_request_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bits = fastrand::u128(..);
    let mut id = [0u8; 32];
    for digit in id.iter_mut().rev() {
        *digit = HEX[(bits & 0xf) as usize];
        bits >>= 4;
    }
    HeaderValue::from_bytes(&id).expect("hex digits are a valid header value")
}

/// A client address as an `X-Forwarded-For` value (made once per client
/// connection).
pub fn forwarded_for_value(client: IpAddr) -> HeaderValue {
    HeaderValue::from_str(&client.to_string()).expect("an IP address is a valid header value")
}

/// Sets the `X-Forwarded-*` headers and the request id on a request going
/// upstream: `client` ([`forwarded_for_value`]) is appended to
/// `X-Forwarded-For`; `host` is what the client addressed (Host header or
/// the HTTP/2 authority).
pub fn set_forwarded(
    headers: &mut HeaderMap,
    client: &HeaderValue,
    host: Option<HeaderValue>,
    request_id: &HeaderValue,
) {
    let appended = match headers.get(&X_FORWARDED_FOR).map(HeaderValue::as_bytes) {
        Some(previous) if !previous.trim_ascii().is_empty() => {
            HeaderValue::from_bytes(&[previous, b", ", client.as_bytes()].concat()).ok()
        }
        _ => None,
    };
    headers.insert(X_FORWARDED_FOR, appended.unwrap_or_else(|| client.clone()));
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    match host {
        Some(host) => {
            headers.insert(X_FORWARDED_HOST, host);
        }
        None => {
            headers.remove(X_FORWARDED_HOST);
        }
    }
    headers.insert(X_REQUEST_ID, request_id.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_hop_by_hop_and_connection_listed_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        remove_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key(header::ACCEPT));
    }

    #[test]
    fn keeps_upgrade_for_websocket_handshakes() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_upgrade(&headers));
        remove_hop_by_hop(&mut headers, true);
        assert_eq!(headers[header::CONNECTION], "upgrade");
        assert_eq!(headers[header::UPGRADE], "websocket");
    }

    #[test]
    fn appends_to_x_forwarded_for() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_static("10.0.0.1"));
        let id = generate_request_id();
        set_forwarded(
            &mut headers,
            &forwarded_for_value("127.0.0.1".parse().unwrap()),
            Some(HeaderValue::from_static("example.test")),
            &id,
        );
        assert_eq!(headers[X_FORWARDED_FOR], "10.0.0.1, 127.0.0.1");
        assert_eq!(headers[X_FORWARDED_HOST], "example.test");
        assert_eq!(headers[X_FORWARDED_PROTO], "http");
        assert_eq!(headers[X_REQUEST_ID], id);
        assert_eq!(id.len(), 32);
        assert!(id.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(id, generate_request_id());
    }
}

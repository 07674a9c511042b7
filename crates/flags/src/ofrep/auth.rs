//! Bearer-token auth: no credentials → 401, wrong credentials → 403.

use super::wire::general_error;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The 401 / 403 response when `headers` do not carry `token`; `None`
/// when they do or no token is required.
pub(super) fn denied(headers: &HeaderMap, token: Option<&str>) -> Option<Response> {
    let token = token?;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credentials) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credentials.trim())
        });
    let api_key = headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    let presented = bearer.or(api_key);
    match presented {
        None => Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                general_error("send `Authorization: Bearer <token>`"),
            )
                .into_response(),
        ),
        Some(presented) if constant_time_eq(presented.as_bytes(), token.as_bytes()) => None,
        Some(_) => Some(
            (
                StatusCode::FORBIDDEN,
                general_error("the token is not valid for these flags"),
            )
                .into_response(),
        ),
    }
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

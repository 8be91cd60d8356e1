//! The TikTok Shop envelope, `{"code", "data", "message", "request_id"}`,
//! and the errors the simulator answers with. Codes and messages come from
//! the documentation's error tables where they have one; errors come with a
//! real HTTP status too, so a client must read the body whatever the status.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

/// The message of a successful API answer.
pub(crate) const MSG_SUCCESS: &str = "Success";

/// An error answered in the envelope with `data: null`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TtsError {
    pub status: StatusCode,
    pub code: u32,
    pub message: Cow<'static, str>,
}

impl TtsError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// HTTP 400 with an endpoint's own code.
    pub fn bad_request(code: u32, message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 36009004 "invalid param error": a parameter or body the endpoint cannot use.
    pub fn invalid_param() -> Self {
        Self::bad_request(36_009_004, "invalid param error")
    }

    pub fn bad_app_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Invalid credentials. Invalid `app_key` query parameter.",
        )
    }

    pub fn missing_sign() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Missing credentials. The request does not include a required signature in the query.",
        )
    }

    pub fn bad_sign() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            106_001,
            "Invalid credentials. The `sign` query parameter is invalid.",
        )
    }

    pub fn negative_timestamp() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.",
        )
    }

    pub fn stale_timestamp() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.",
        )
    }

    pub fn future_timestamp() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Invalid timestamp. The value of the `timestamp` query parameter must not exceed the current time by more than 30 seconds.",
        )
    }

    /// Missing, unknown or other app's access token.
    pub fn bad_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            36_009_004,
            "Invalid credentials. The `x-tts-access-token` header is invalid.",
        )
    }

    pub fn expired_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            105_002,
            "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.",
        )
    }

    /// 105001: the seller revoked the app's authorization of the shop. The
    /// docs' tables give no message for it; this one says what happened.
    pub fn revoked() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            105_001,
            "Invalid credentials. The seller has revoked this authorization.",
        )
    }

    /// 105005: the grant behind the access token lacks a scope the endpoint needs.
    pub fn missing_scope() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            105_005,
            "Access denied. The app is not authorized to access the endpoint because the access scopes granted for the app or the access token do not contain the required access scope for the endpoint.",
        )
    }

    /// 105003: a `shop_cipher` the access token is not authorized for (no
    /// message in the docs' tables either).
    pub fn cipher_mismatch() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            105_003,
            "Invalid credentials. The `shop_cipher` does not match a shop authorized for this access token.",
        )
    }

    pub fn missing_cipher() -> Self {
        Self::bad_request(
            106_013,
            "Missing identifier. The `shop_cipher` query parameter is required to identify the target shop.",
        )
    }

    pub fn unexpected_cipher() -> Self {
        Self::bad_request(
            36_009_004,
            "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
        )
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            36_009_002,
            "Too many requests. You've made too many requests in a short period of time.",
        )
    }

    /// The injected failure of a shop's `failure_rate`.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            36_009_003,
            "Internal error. Please try again. If the issue persists after multiple attempts, please contact platform support.",
        )
    }

    pub fn unknown_path() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            36_009_009,
            "Invalid path. The specified path does not match any available endpoint.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            36_009_010,
            "Invalid method. The HTTP method used is not supported by this endpoint.",
        )
    }

    /// Unknown, used, expired or other app's authorization code.
    pub fn invalid_auth_code() -> Self {
        Self::bad_request(36_004_004, "Invalid auth code.")
    }

    /// Unknown, retired or expired refresh token. The docs give no code for
    /// it; the auth code's code keeps it in the token endpoints' family.
    pub fn invalid_refresh_token() -> Self {
        Self::bad_request(36_004_004, "Invalid refresh token.")
    }

    /// The envelope of this error.
    pub fn body(&self) -> Value {
        envelope(self.code, &self.message, Value::Null)
    }
}

impl IntoResponse for TtsError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// `{"code", "data", "message", "request_id"}`.
pub(crate) fn envelope(code: u32, message: &str, data: Value) -> Value {
    json!({"code": code, "data": data, "message": message, "request_id": request_id()})
}

/// A request id shaped like the platform's: UTC time to the second, then 20
/// uppercase hex digits.
fn request_id() -> String {
    let random: u128 = rand::rng().random();
    format!(
        "{}{:020X}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        random & ((1u128 << 80) - 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_the_platforms() {
        let body = TtsError::too_many_requests().body();
        let id = body["request_id"].as_str().expect("id");
        assert_eq!(id.len(), 34);
        assert!(id.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_eq!(body["code"], 36_009_002);
        assert!(body["data"].is_null());
    }
}

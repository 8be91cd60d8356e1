//! The one error type of the api and its JSON shape:
//! `{"success": false, "error": {"code": "snake_case", "message": "...", "details": ...}}`.
//! 5xx answers are logged with their cause chain and answered with a generic message: internals never
//! reach the client. A database that cannot be reached answers 503 `database_unavailable` with
//! `Retry-After`: the request was fine and will work once Postgres is back.
//! Text Postgres refuses to store (U+0000) is the client's mistake: 422, not 500, should any slip past the
//! field checks.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The largest request body accepted (what `DefaultBodyLimit` is set to), and how it is named to clients.
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;
const BODY_LIMIT_TEXT: &str = "2 MB";

impl From<crate::throttle::Throttled> for ApiError {
    fn from(throttled: crate::throttle::Throttled) -> Self {
        Self::TooManyFailures {
            retry_after_secs: throttled.retry_after_secs(),
        }
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// Too many wrong tokens from the caller's address; see `throttle`.
    #[error("too many wrong tokens from your address; retry in {retry_after_secs} s")]
    TooManyFailures { retry_after_secs: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("this path does not accept that method")]
    MethodNotAllowed,
    #[error("the request body is larger than the {BODY_LIMIT_TEXT} limit")]
    PayloadTooLarge,
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooManyFailures { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(e) if database_unreachable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::TooManyFailures { .. } => "too_many_requests",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::BadRequest(_) => "bad_request",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unavailable(_) => "unavailable",
            Self::Database(e) if database_unreachable(e) => "database_unavailable",
            Self::Database(_) | Self::Internal(_) => "internal_error",
        }
    }

    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, reason)])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let (message, details) = match &self {
            Self::Database(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "database error");
                let message = if database_unreachable(e) {
                    "the database is unavailable; retry shortly"
                } else {
                    "internal error; it has been logged"
                };
                (message.to_owned(), Value::Null)
            }
            Self::Internal(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "internal error");
                ("internal error; it has been logged".to_owned(), Value::Null)
            }
            Self::Validation(fields) => (self.to_string(), json!({ "fields": fields })),
            other => (other.to_string(), Value::Null),
        };
        let mut error = json!({ "code": self.code(), "message": message });
        if !details.is_null() {
            error["details"] = details;
        }
        let mut response = (status, Json(json!({ "success": false, "error": error }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyFailures { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        if matches!(&self, Self::Database(e) if database_unreachable(e)) {
            // The pool already waited its acquire timeout (5 s) for a connection before giving up; asking
            // clients to wait as long again spaces their retries out during a restart or failover, which
            // takes seconds, without keeping them away long after Postgres is back.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // 22021 (a NUL in `text`) and 22P05 (`\u0000` in `jsonb`) mean the request carried text Postgres
        // cannot store. Field checks refuse it by name first; this keeps anything they miss a client error.
        let unstorable_text = matches!(&e, sqlx::Error::Database(db)
            if db.code().is_some_and(|code| matches!(code.as_ref(), "22021" | "22P05")));
        if unstorable_text {
            tracing::warn!(error.message = %e, "request text refused by the database");
            return Self::validation("request", crate::validation::NUL_REASON);
        }
        Self::Database(e)
    }
}

/// Whether `e` means Postgres could not be reached (down, restarting, network cut) rather than that the
/// request or the code is wrong: such a request can simply be retried later.
fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        // Class 08 is "connection exception"; 57P01-57P03 are the server shutting down, crashed or still
        // starting up.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// Bad JSON gets the same error shape as everything else; a wrong type names its field.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // axum's text is "Failed to deserialize ...: <path>: <reason>".
                let text = e.body_text();
                let detail = text.split_once("target type: ").map_or(text.as_str(), |(_, rest)| rest);
                match detail.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => Self::validation(field, reason),
                    _ => Self::validation("body", detail),
                }
            }
            JsonRejection::MissingJsonContentType(_) => {
                Self::BadRequest("send the body as JSON with `Content-Type: application/json`".into())
            }
            // axum answers a body over `DefaultBodyLimit` with 413 (nested in its buffering rejection).
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::BadRequest(format!("request body is not valid JSON: {}", other.body_text())),
        }
    }
}

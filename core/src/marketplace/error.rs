//! Marketplace failures, classified so callers can tell "try again later" from "this will never work".

use std::time::Duration;

/// One row of a bulk write that the marketplace refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFailure {
    pub product_id: Option<u64>,
    pub sku: Option<String>,
    pub message: String,
}

/// Everything a marketplace call can fail with. Display texts are safe to store in `last_error`:
/// they never contain credentials or tokens.
#[derive(Debug, thiserror::Error)]
pub enum MarketplaceError {
    /// The marketplace answered with an error envelope.
    #[error("marketplace error {error_code} (HTTP {http_status}): {}", reason.as_deref().unwrap_or(messages))]
    Api {
        http_status: u16,
        error_code: String,
        reason: Option<String>,
        messages: String,
    },
    /// HTTP 429; wait at least `reset_after` before the next request to this endpoint.
    #[error("rate limited by the marketplace (retry after {reset_after:?})")]
    RateLimited {
        reset_after: Duration,
        full_reset_after: Duration,
    },
    /// The token endpoint rejected the app's client id or secret.
    #[error("the marketplace rejected the app credentials (client id or secret)")]
    InvalidCredentials,
    /// A bearer token was refused even after fetching a fresh one.
    #[error("the marketplace refused the access token")]
    Unauthorized,
    /// Some rows of a bulk write failed while the call itself succeeded.
    #[error("{} of the rows were refused: {}", failed.len(), failed.first().map(|r| r.message.as_str()).unwrap_or(""))]
    PartialFailure { succeeded: u32, failed: Vec<RowFailure> },
    /// The body was not what the endpoint documents.
    #[error("unexpected marketplace response: {0}")]
    Decode(String),
    /// A non-success HTTP status without a marketplace envelope.
    #[error("marketplace answered HTTP {status} without an error body")]
    Http { status: u16 },
    /// Connection refused, DNS failure, timeout.
    #[error("marketplace unreachable: {0}")]
    Transport(String),
}

impl MarketplaceError {
    /// Whether the same request may succeed later (timeouts, 5xx from upstream services, 429).
    /// Validation (`*_DLV_*`), business (`*_USC_*`) and permission (403 `RBAC_MDLW_001`) errors are
    /// permanent, as are rejected credentials.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport(_) => true,
            Self::Http { status } => *status >= 500,
            Self::Api {
                http_status,
                error_code,
                ..
            } => {
                let upstream = error_code.contains("_API_") || error_code.contains("_GRPC_");
                let permanent = error_code.contains("_DLV_") || error_code.contains("_USC_") || *http_status == 403;
                !permanent && (upstream || *http_status >= 500) && error_code != "ORD_API_008"
            }
            Self::InvalidCredentials | Self::Unauthorized | Self::PartialFailure { .. } | Self::Decode(_) => false,
        }
    }

    /// The marketplace's own error code, when it sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Api { error_code, .. } => Some(error_code),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for MarketplaceError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's Display includes the URL, which holds no secrets (tokens travel in headers).
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        let url = e
            .url()
            .map(|u| format!(" ({}{})", u.host_str().unwrap_or(""), u.path()))
            .unwrap_or_default();
        Self::Transport(format!("{kind}{url}"))
    }
}

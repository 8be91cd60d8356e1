//! What a TikTok Shop call can fail with, and what the caller should do about it ([`ErrorClass`]).
//!
//! Codes are classified from the error table of the design notes (`shared/design/tiktok-shop-api.md`);
//! `36009004` covers several causes that only its `message` tells apart. A code outside the table is
//! [`ErrorClass::Permanent`] unless the HTTP status says otherwise (429 is rate limiting, 5xx transient):
//! retrying what we do not understand could hammer the API or repeat a write, and calling it
//! "re-authorize" would send a seller through consent for nothing, so the failure is recorded and shown.

use std::time::Duration;

pub use crate::marketplace::adapter::ErrorClass;

/// Everything a TikTok Shop call can fail with. Display texts never contain the app secret, tokens,
/// auth codes or URLs (the token URL carries the secret), so they are safe to log and to store.
#[derive(Debug, thiserror::Error)]
pub enum TikTokShopError {
    /// The API answered with an envelope whose `code` is not 0.
    #[error("TikTok Shop error {code} (HTTP {http_status}, request {request_id}): {message}")]
    Api {
        http_status: u16,
        code: i64,
        message: String,
        request_id: String,
        /// The `Retry-After` header, when the answer had one.
        retry_after: Option<Duration>,
    },
    /// A non-success HTTP status without an envelope.
    #[error("TikTok Shop answered HTTP {status} without an error body")]
    Http { status: u16, retry_after: Option<Duration> },
    /// The body was not what the endpoint documents (quoted values are left out of the text).
    #[error("unexpected TikTok Shop response: {0}")]
    Decode(String),
    /// Connection refused, DNS failure, timeout.
    #[error("TikTok Shop unreachable: {0}")]
    Transport(String),
    /// The call was refused before sending (e.g. an id that cannot stand in a path).
    #[error("invalid TikTok Shop request: {0}")]
    InvalidRequest(String),
}

impl TikTokShopError {
    /// What the caller should do; see [`ErrorClass`] and the module header for unknown codes.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Api {
                http_status,
                code,
                message,
                ..
            } => classify_code(*code, message).unwrap_or_else(|| classify_status(*http_status)),
            Self::Http { status, .. } => classify_status(*status),
            Self::Transport(_) => ErrorClass::Transient,
            Self::Decode(_) | Self::InvalidRequest(_) => ErrorClass::Permanent,
        }
    }

    /// The API's own error code, when it sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// How long the API asked us to wait (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } | Self::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        if let Self::Api { retry_after, .. } | Self::Http { retry_after, .. } = &mut self {
            *retry_after = wait;
        }
        self
    }
}

/// The class of a documented error code, `None` for a code outside the design notes' table.
pub fn classify_code(code: i64, message: &str) -> Option<ErrorClass> {
    use ErrorClass::*;
    Some(match code {
        36009002 => RateLimited,
        36009003 | 36009007 => Transient,
        105002 => TokenExpired,
        105001 | 105003 | 105004 | 101000 => NeedsReauthorization,
        // The token endpoints' "Invalid auth code." / invalid refresh token: spent, expired or retired.
        // No retry brings it back; only the seller's new consent yields tokens again.
        36004004 => NeedsReauthorization,
        // Missing scope, IP not allow-listed: a person must change the app's setup.
        105005 | 36009033 => Permanent,
        // Invalid sign, missing shop_cipher: our defect.
        106001 | 106013 => Permanent,
        36009004 => classify_invalid_request(message),
        _ => return None,
    })
}

/// `36009004` by its message. A stale or early `timestamp` clears on retry, since every attempt is
/// signed afresh with the current time; an invalid token header means the authorization is gone; the
/// rest (app key, unexpected or invalid identifier, missing signature, version, parameters) is ours.
fn classify_invalid_request(message: &str) -> ErrorClass {
    let message = message.to_ascii_lowercase();
    if message.contains("timestamp") {
        ErrorClass::Transient
    } else if message.contains("access_token") || message.contains("x-tts-access-token") {
        ErrorClass::NeedsReauthorization
    } else {
        ErrorClass::Permanent
    }
}

fn classify_status(status: u16) -> ErrorClass {
    match status {
        429 => ErrorClass::RateLimited,
        500..=599 => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorClass::*;

    fn api(http_status: u16, code: i64, message: &str) -> TikTokShopError {
        TikTokShopError::Api {
            http_status,
            code,
            message: message.into(),
            request_id: "r".into(),
            retry_after: None,
        }
    }

    #[test]
    fn every_code_of_the_design_notes_table_has_its_class() {
        let table = [
            (36009002, Some(429), RateLimited),
            (36009003, None, Transient),
            (36009007, None, Transient),
            (105002, Some(401), TokenExpired),
            (105001, Some(401), NeedsReauthorization),
            (105003, None, NeedsReauthorization),
            (105004, None, NeedsReauthorization),
            (101000, None, NeedsReauthorization),
            (105005, Some(403), Permanent),
            (36009033, Some(403), Permanent),
            (106001, None, Permanent),
            (106013, None, Permanent),
        ];
        for (code, status, class) in table {
            assert_eq!(classify_code(code, ""), Some(class), "code {code}");
            assert_eq!(api(status.unwrap_or(400), code, "").class(), class, "code {code}");
        }
    }

    #[test]
    fn a_refused_auth_code_or_refresh_token_needs_a_new_consent() {
        assert_eq!(api(400, 36004004, "Invalid auth code.").class(), NeedsReauthorization);
        assert_eq!(
            api(400, 36004004, "Invalid refresh token.").class(),
            NeedsReauthorization
        );
    }

    #[test]
    fn code_36009004_is_told_apart_by_its_message() {
        let cases = [
            (
                "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.",
                Transient,
            ),
            (
                "Invalid credentials. The `x-tts-access-token` header is invalid.",
                NeedsReauthorization,
            ),
            (
                "Invalid credentials. The `access_token` header is invalid.",
                NeedsReauthorization,
            ),
            ("Invalid credentials. Invalid `app_key` query parameter.", Permanent),
            (
                "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
                Permanent,
            ),
            (
                "Invalid API version. The `version` value is invalid or unsupported.",
                Permanent,
            ),
            (
                "Missing credentials. The request does not include a required signature in the query.",
                Permanent,
            ),
            ("something new", Permanent),
        ];
        for (message, class) in cases {
            assert_eq!(classify_code(36009004, message), Some(class), "{message}");
        }
    }

    #[test]
    fn unknown_codes_are_permanent_unless_the_status_says_otherwise() {
        assert_eq!(classify_code(12052180, ""), None);
        assert_eq!(api(400, 12052180, "").class(), Permanent);
        assert_eq!(api(200, 12052180, "").class(), Permanent);
        assert_eq!(api(429, 1, "").class(), RateLimited);
        assert_eq!(api(503, 1, "").class(), Transient);
        assert_eq!(
            TikTokShopError::Http {
                status: 429,
                retry_after: None
            }
            .class(),
            RateLimited
        );
        assert_eq!(
            TikTokShopError::Http {
                status: 404,
                retry_after: None
            }
            .class(),
            Permanent
        );
        assert_eq!(TikTokShopError::Transport("timed out".into()).class(), Transient);
        assert_eq!(TikTokShopError::Decode("x".into()).class(), Permanent);
    }
}

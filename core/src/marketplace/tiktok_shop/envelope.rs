//! The envelope every TikTok Shop answer comes in: `{"code", "message", "request_id", "data"}`.
//! `code == 0` is success; any other code is a [`TikTokShopError::Api`] that keeps `code`, `message`
//! and `request_id`. Errors also come with real HTTP statuses, so the body is decoded whatever the status.
//!
//! The envelope is read twice, first its head and then, on success, its `data` as the endpoint's type,
//! so an error answer never has to match the success type.

use serde::{Deserialize, de::DeserializeOwned};

use super::error::TikTokShopError;
use super::types::WriteResult;

#[derive(Deserialize)]
struct Head {
    code: i64,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct Data<T> {
    data: Option<T>,
}

/// Decodes an answer into its `data`, which a successful answer must carry.
pub fn decode<T: DeserializeOwned>(http_status: u16, body: &[u8]) -> Result<T, TikTokShopError> {
    decode_optional(http_status, body)?.ok_or_else(|| TikTokShopError::Decode("a success without `data`".into()))
}

/// Decodes the answer of a batch write (inventory or price update), whose `data` may be empty, `{}` or
/// null on success. Refused items are in [`WriteResult::errors`]; the call itself succeeded.
pub fn decode_write(http_status: u16, body: &[u8]) -> Result<WriteResult, TikTokShopError> {
    Ok(decode_optional(http_status, body)?.unwrap_or_default())
}

fn decode_optional<T: DeserializeOwned>(http_status: u16, body: &[u8]) -> Result<Option<T>, TikTokShopError> {
    let head: Head = match serde_json::from_slice(body) {
        Ok(head) => head,
        Err(_) if http_status >= 400 => return Err(http_error(http_status)),
        Err(e) => return Err(decode_error("envelope", &e)),
    };
    if head.code != 0 {
        return Err(TikTokShopError::Api {
            http_status,
            code: head.code,
            message: head.message.unwrap_or_default(),
            request_id: head.request_id.unwrap_or_default(),
            retry_after: None,
        });
    }
    if http_status >= 400 {
        // A success code under an error status: trust the status.
        return Err(http_error(http_status));
    }
    serde_json::from_slice::<Data<T>>(body)
        .map(|envelope| envelope.data)
        .map_err(|e| decode_error("data", &e))
}

fn http_error(status: u16) -> TikTokShopError {
    TikTokShopError::Http {
        status,
        retry_after: None,
    }
}

/// serde quotes the offending value (`invalid type: string "TTP_…"`); that value can be a token or a
/// buyer's address, so every quoted value is cut from the message that ends up in logs and `last_error`.
fn decode_error(part: &str, e: &serde_json::Error) -> TikTokShopError {
    TikTokShopError::Decode(format!("{part}: {}", without_quoted_values(&e.to_string())))
}

fn without_quoted_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            out.push_str("…\"");
            let mut escaped = false;
            for inner in chars.by_ref() {
                match inner {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => break,
                    _ => escaped = false,
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marketplace::tiktok_shop::types::{AuthorizedShops, TokenGrant};

    #[test]
    fn an_error_code_keeps_code_message_and_request_id_whatever_the_status() {
        let body = br#"{"code":105002,"message":"Expired credentials.","data":null,"request_id":"R1"}"#;
        for status in [200, 401] {
            match decode::<AuthorizedShops>(status, body).unwrap_err() {
                TikTokShopError::Api {
                    http_status,
                    code,
                    message,
                    request_id,
                    ..
                } => {
                    assert_eq!((http_status, code), (status, 105002));
                    assert_eq!((message.as_str(), request_id.as_str()), ("Expired credentials.", "R1"));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn a_body_that_is_not_an_envelope_is_an_http_error_under_an_error_status() {
        assert!(matches!(
            decode::<AuthorizedShops>(502, b"<html>bad gateway</html>"),
            Err(TikTokShopError::Http { status: 502, .. })
        ));
        assert!(matches!(
            decode::<AuthorizedShops>(200, b"<html>"),
            Err(TikTokShopError::Decode(_))
        ));
    }

    #[test]
    fn a_write_may_succeed_without_data() {
        for body in [
            &br#"{"code":0,"message":"Success","request_id":"R"}"#[..],
            br#"{"code":0,"message":"Success","data":null,"request_id":"R"}"#,
            br#"{"code":0,"message":"Success","data":{},"request_id":"R"}"#,
        ] {
            assert!(decode_write(200, body).unwrap().errors.is_empty());
        }
        let read = decode::<AuthorizedShops>(200, br#"{"code":0,"message":"Success","request_id":"R"}"#);
        assert!(matches!(read, Err(TikTokShopError::Decode(_))));
    }

    #[test]
    fn a_decode_error_does_not_quote_values() {
        let body = br#"{"code":0,"request_id":"R","data":{"access_token":"TTP_secret","refresh_token":"r",
            "access_token_expire_in":"TTP_secret","refresh_token_expire_in":1,"open_id":"o"}}"#;
        let err = decode::<TokenGrant>(200, body).unwrap_err().to_string();
        assert!(!err.contains("TTP_secret"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn quoted_values_are_cut_including_escaped_quotes() {
        assert_eq!(
            without_quoted_values(r#"invalid type: string "a\"b", expected x"#),
            r#"invalid type: string "…", expected x"#
        );
        assert_eq!(without_quoted_values("missing field `id`"), "missing field `id`");
    }
}

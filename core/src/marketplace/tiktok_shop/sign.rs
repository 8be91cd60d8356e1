//! Request signatures and webhook verification, as pure functions over bytes so the client signs with
//! them and a simulator or a webhook receiver checks with the very same code.
//!
//! A request's `sign` is the lowercase hex HMAC-SHA256, keyed with the app secret, of
//! `app_secret + path + sorted key/value pairs + body + app_secret`. A webhook's `Authorization` header is
//! the lowercase hex HMAC-SHA256, keyed with the app secret, of `app_key + raw body`.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Query parameters a signature leaves out: the signature itself and the token (which travels in the
/// `x-tts-access-token` header, or under this name on older calls).
pub const UNSIGNED_PARAMS: [&str; 2] = ["sign", "access_token"];

/// The text a request signature covers, before it is wrapped in the app secret: the path, then every
/// signed query parameter as `key` + `value` (decoded values, sorted by key), then the raw body unless
/// the request is `multipart/form-data`. A parameter holding a list carries it joined with commas.
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(
    path: &str,
    query: &[(K, V)],
    body: Option<&[u8]>,
    content_type: Option<&str>,
) -> Vec<u8> {
    let mut params: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| !UNSIGNED_PARAMS.contains(k))
        .collect();
    // Keys are unique on every documented call; sorting the pairs keeps the order defined even if not.
    params.sort_unstable();
    let mut message = path.as_bytes().to_vec();
    for (key, value) in params {
        message.extend_from_slice(key.as_bytes());
        message.extend_from_slice(value.as_bytes());
    }
    if let Some(body) = body.filter(|_| !is_multipart(content_type)) {
        message.extend_from_slice(body);
    }
    message
}

/// The `sign` query parameter of a request to the API host (not the token endpoints, which are unsigned).
pub fn sign_request<K: AsRef<str>, V: AsRef<str>>(
    app_secret: &SecretString,
    path: &str,
    query: &[(K, V)],
    body: Option<&[u8]>,
    content_type: Option<&str>,
) -> String {
    let secret = app_secret.expose_secret().as_bytes();
    let mut mac = keyed(secret);
    mac.update(secret);
    mac.update(&string_to_sign(path, query, body, content_type));
    mac.update(secret);
    to_hex(&mac.finalize().into_bytes())
}

/// The `Authorization` header value TikTok Shop sends with a webhook whose body is `raw_body`.
pub fn webhook_signature(app_key: &str, app_secret: &SecretString, raw_body: &[u8]) -> String {
    to_hex(&webhook_mac(app_key, app_secret, raw_body).finalize().into_bytes())
}

/// Whether `authorization` (the webhook's `Authorization` header, no scheme) signs `raw_body`. Check the
/// bytes exactly as received, before parsing them. The comparison takes the same time wherever the
/// signatures differ; a header that is not 64 hex digits is refused. Upper-case hex is accepted.
pub fn verify_webhook(app_key: &str, app_secret: &SecretString, raw_body: &[u8], authorization: &str) -> bool {
    let Some(claimed) = from_hex(authorization.trim()) else {
        return false;
    };
    // `verify_slice` compares in constant time (and refuses a length other than 32 bytes).
    webhook_mac(app_key, app_secret, raw_body)
        .verify_slice(&claimed)
        .is_ok()
}

fn webhook_mac(app_key: &str, app_secret: &SecretString, raw_body: &[u8]) -> HmacSha256 {
    let mut mac = keyed(app_secret.expose_secret().as_bytes());
    mac.update(app_key.as_bytes());
    mac.update(raw_body);
    mac
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length")
}

fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        t.trim_start()
            .get(..19)
            .is_some_and(|head| head.eq_ignore_ascii_case("multipart/form-data"))
    })
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| char::from(b).to_digit(16);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(((digit(pair[0])? << 4) | digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn sign_and_access_token_are_left_out_and_keys_are_sorted() {
        let query = [
            ("timestamp", "2"),
            ("sign", "x"),
            ("access_token", "t"),
            ("app_key", "k"),
        ];
        assert_eq!(string_to_sign("/p", &query, None, None), b"/papp_keyktimestamp2");
    }

    #[test]
    fn the_body_is_signed_unless_multipart() {
        let query: [(&str, &str); 0] = [];
        let body = Some(&b"{\"a\":1}"[..]);
        assert_eq!(
            string_to_sign("/p", &query, body, Some("application/json")),
            b"/p{\"a\":1}"
        );
        assert_eq!(
            string_to_sign("/p", &query, body, Some("multipart/form-data; boundary=x")),
            b"/p"
        );
        let s = secret("s");
        assert_ne!(
            sign_request(&s, "/p", &query, body, Some("application/json")),
            sign_request(&s, "/p", &query, None, None)
        );
    }

    #[test]
    fn a_signature_is_lowercase_hex_of_32_bytes() {
        let sign = sign_request(&secret("s"), "/p", &[("a", "b")], None, None);
        assert_eq!(sign.len(), 64);
        assert!(sign.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn webhook_verification_refuses_a_changed_body_or_a_malformed_header() {
        let (key, s, body) = ("app", secret("s"), br#"{"type":1}"#);
        let good = webhook_signature(key, &s, body);
        assert!(verify_webhook(key, &s, body, &good));
        assert!(verify_webhook(key, &s, body, &good.to_uppercase()));
        assert!(!verify_webhook(key, &s, br#"{"type":2}"#, &good));
        assert!(!verify_webhook("other", &s, body, &good));
        assert!(!verify_webhook(key, &s, body, &good[..62]));
        assert!(!verify_webhook(key, &s, body, ""));
        assert!(!verify_webhook(key, &s, body, &format!("{}zz", &good[..62])));
    }
}

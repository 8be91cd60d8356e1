//! TikTok Shop signatures, computed the way the platform does so the
//! simulator can check a client's without sharing its code.
//!
//! A request's `sign` is lowercase hex HMAC-SHA256, keyed with the app secret,
//! of `app_secret + path + key1value1key2value2… + body + app_secret`: every
//! query parameter but `sign` and `access_token`, sorted by key, with decoded
//! values (a repeated key's values joined with commas), and the raw body
//! unless it is `multipart/form-data`. A webhook's `Authorization` header is
//! the same HMAC of `app_key + raw body`.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Query parameters a signature leaves out.
const UNSIGNED: [&str; 2] = ["sign", "access_token"];

/// The string between the two app secrets: path, sorted parameters, body.
pub fn base_string<K, V>(path: &str, query: impl IntoIterator<Item = (K, V)>, body: Option<&[u8]>) -> Vec<u8>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in query {
        let key = key.as_ref();
        if !UNSIGNED.contains(&key) {
            params
                .entry(key.to_owned())
                .or_default()
                .push(value.as_ref().to_owned());
        }
    }
    let mut base = path.as_bytes().to_vec();
    for (key, values) in params {
        base.extend_from_slice(key.as_bytes());
        base.extend_from_slice(values.join(",").as_bytes());
    }
    base.extend_from_slice(body.unwrap_or_default());
    base
}

/// The `sign` of a request to the API host. `body` is `None` for a request
/// without one and for `multipart/form-data`.
pub fn request_signature<K, V>(
    app_secret: &str,
    path: &str,
    query: impl IntoIterator<Item = (K, V)>,
    body: Option<&[u8]>,
) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut wrapped = app_secret.as_bytes().to_vec();
    wrapped.extend(base_string(path, query, body));
    wrapped.extend_from_slice(app_secret.as_bytes());
    hmac_hex(app_secret, &wrapped)
}

/// The `Authorization` header of a webhook carrying `body`.
pub fn webhook_signature(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut message = app_key.as_bytes().to_vec();
    message.extend_from_slice(body);
    hmac_hex(app_secret, &message)
}

/// Compares two signatures in time independent of where they first differ.
/// Uppercase hex does not match: the platform signs in lowercase.
pub(crate) fn same_signature(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn hmac_hex(key: &str, message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_join_with_commas_and_unsigned_keys_are_skipped() {
        let query = [
            ("ids", "2"),
            ("app_key", "k"),
            ("ids", "3"),
            ("sign", "x"),
            ("access_token", "t"),
        ];
        let base = base_string("/order/202309/orders", query, Some(b"{}"));
        assert_eq!(base, b"/order/202309/ordersapp_keykids2,3{}");
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same_signature("ab01", "ab01"));
        assert!(!same_signature("ab01", "AB01"));
        assert!(!same_signature("ab01", "ab02"));
        assert!(!same_signature("ab01", "ab0"));
    }
}

//! Query-string and form-body parameters, decoded leniently: a malformed
//! escape is kept literally rather than failing the request, so every
//! parameter problem surfaces as the route's own 400 error.

use crate::api::ApiError;

/// Decoded `application/x-www-form-urlencoded` pairs (query strings and the
/// token form body). Malformed escapes are kept literally, never rejected.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self(pairs)
    }

    /// Every pair as decoded, in request order, empty values included (what a
    /// TikTok Shop signature covers).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// First value of `key`; an empty value counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every non-empty value of a repeatable `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// `key` parsed as `T`; absent is `Ok(None)`, unparsable is `invalid()`.
    pub fn num<T: std::str::FromStr>(
        &self,
        key: &str,
        invalid: impl FnOnce() -> ApiError,
    ) -> Result<Option<T>, ApiError> {
        self.get(key).map(|v| v.parse().map_err(|_| invalid())).transpose()
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let digit = |at: usize| bytes.get(at).and_then(|&b| hex(b));
                match (digit(i + 1), digit(i + 2)) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn params_decode_and_repeat() {
        let p = Params::parse(Some("sku=A%2FB+1&product_id=1&product_id=2,3&page=&x=%zz"));
        assert_eq!(p.get("sku"), Some("A/B 1"));
        assert_eq!(p.all("product_id"), vec!["1", "2,3"]);
        assert_eq!(p.get("page"), None);
        assert_eq!(p.get("x"), Some("%zz"));
    }
}

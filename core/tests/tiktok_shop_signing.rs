//! Checks request signing and webhook verification against every published vector in
//! `signing-vectors.json` of the TikTok Shop fixtures folder (`TIKTOK_SHOP_FIXTURES_DIR`, relative paths
//! from the project root, by default `../shared/fixtures/tiktok-shop`).

#[path = "support/fixtures.rs"]
mod support;

use ocean_core::marketplace::tiktok_shop::sign::{sign_request, string_to_sign, verify_webhook, webhook_signature};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

/// One vector; `kind` says which fields it has.
#[derive(Deserialize)]
struct Vector {
    id: serde_json::Value,
    kind: String,
    app_secret: String,
    expected: String,
    // request vectors
    path: Option<String>,
    #[serde(default)]
    query: std::collections::BTreeMap<String, String>,
    body: Option<String>,
    content_type: Option<String>,
    base_string: Option<String>,
    // webhook vectors
    app_key: Option<String>,
    raw_body: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let dir = support::fixtures_dir("TIKTOK_SHOP_FIXTURES_DIR", "../shared/fixtures/tiktok-shop");
    let path = dir.join("signing-vectors.json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let vectors: Vectors = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!vectors.vectors.is_empty(), "{} holds no vectors", path.display());
    vectors.vectors
}

fn check_request(v: &Vector) -> Result<(), String> {
    let path = v.path.as_deref().ok_or("a request vector without `path`")?;
    let query: Vec<(&str, &str)> = v.query.iter().map(|(k, val)| (k.as_str(), val.as_str())).collect();
    let body = v.body.as_deref().map(str::as_bytes);
    let content_type = v.content_type.as_deref();
    if let Some(base) = &v.base_string {
        let got = string_to_sign(path, &query, body, content_type);
        if got != base.as_bytes() {
            return Err(format!(
                "string to sign {:?}, vector says {base:?}",
                String::from_utf8_lossy(&got)
            ));
        }
    }
    let secret = SecretString::from(v.app_secret.clone());
    let sign = sign_request(&secret, path, &query, body, content_type);
    (sign == v.expected)
        .then_some(())
        .ok_or(format!("sign {sign}, vector says {}", v.expected))
}

fn check_webhook(v: &Vector) -> Result<(), String> {
    let app_key = v.app_key.as_deref().ok_or("a webhook vector without `app_key`")?;
    let body = v
        .raw_body
        .as_deref()
        .ok_or("a webhook vector without `raw_body`")?
        .as_bytes();
    let secret = SecretString::from(v.app_secret.clone());
    let signature = webhook_signature(app_key, &secret, body);
    if signature != v.expected {
        return Err(format!("signature {signature}, vector says {}", v.expected));
    }
    if !verify_webhook(app_key, &secret, body, &v.expected) {
        return Err("the published signature does not verify".into());
    }
    let mut tampered = body.to_vec();
    tampered.push(b' ');
    if verify_webhook(app_key, &secret, &tampered, &v.expected) {
        return Err("a changed body still verifies".into());
    }
    Ok(())
}

#[test]
fn every_published_signing_and_webhook_vector_is_reproduced() {
    let mut failures = Vec::new();
    for vector in vectors() {
        let outcome = match vector.kind.as_str() {
            "request" => check_request(&vector),
            "webhook" => check_webhook(&vector),
            other => Err(format!("unknown kind {other:?}")),
        };
        if let Err(why) = outcome {
            failures.push(format!("vector {}: {why}", vector.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn both_kinds_of_vector_are_present() {
    let kinds: Vec<String> = vectors().into_iter().map(|v| v.kind).collect();
    for kind in ["request", "webhook"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} vector in {kinds:?}");
    }
}

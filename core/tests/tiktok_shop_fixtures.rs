//! Decodes every TikTok Shop body in the fixtures folder with the production decoders.
//!
//! The folder is `TIKTOK_SHOP_FIXTURES_DIR` (relative paths from the project root), by default
//! `../shared/fixtures/tiktok-shop`. Every prefix its README lists needs a decoder here, and every file
//! but the README, the licence, the error-code list and the signing vectors must be named
//! `<prefix>-ok[-N].json` (decodes to typed data) or `<prefix>-fail[-N].json` (decodes to the typed error
//! keeping `code`, `message` and `request_id`), with a known prefix.

#[path = "support/fixtures.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ocean_core::marketplace::tiktok_shop::{
    TikTokShopError,
    envelope::{decode, decode_write},
    types::{AuthorizedShops, InventoryLevels, OrderDetails, OrderPage, Product, ProductPage, TokenGrant, Warehouses},
};
use serde_json::Value;

const FIXTURES_VAR: &str = "TIKTOK_SHOP_FIXTURES_DIR";
const NOT_BODIES: [&str; 4] = ["README.md", "LICENSE", "errors_common.json", "signing-vectors.json"];

/// A decoder, reduced to the ids (or codes) it read, for comparison with the file.
type Decoder = fn(&[u8]) -> Result<Vec<String>, TikTokShopError>;

/// Every prefix, its decoder, and where the file keeps what the decoder must have read (`*` walks a list).
const DECODERS: [(&str, Decoder, &str); 11] = [
    ("auth_token-get", token, "/data/open_id"),
    ("auth_token-refresh", token, "/data/open_id"),
    ("authorization_shops", shops, "/data/shops/*/id"),
    ("order_search", order_search, "/data/orders/*/id"),
    ("order_detail", order_detail, "/data/orders/*/id"),
    ("product_search", product_search, "/data/products/*/id"),
    ("product_detail", product_detail, "/data/id"),
    ("inventory_search", inventory_search, "/data/inventory/*/product_id"),
    ("inventory_update", write, "/data/errors/*/code"),
    ("price_update", write, "/data/errors/*/code"),
    ("logistics_warehouses", warehouses, "/data/warehouses/*/id"),
];

fn token(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<TokenGrant>(200, body).map(|t| vec![t.open_id])
}

fn shops(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<AuthorizedShops>(200, body).map(|d| d.shops.into_iter().map(|s| s.id).collect())
}

fn order_search(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<OrderPage>(200, body).map(|d| d.orders.into_iter().map(|o| o.item.id).collect())
}

fn order_detail(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<OrderDetails>(200, body).map(|d| d.orders.into_iter().map(|o| o.item.id).collect())
}

fn product_search(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<ProductPage>(200, body).map(|d| d.products.into_iter().map(|p| p.item.id).collect())
}

fn product_detail(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<Product>(200, body).map(|p| vec![p.id])
}

fn inventory_search(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<InventoryLevels>(200, body).map(|d| d.inventory.into_iter().map(|p| p.product_id).collect())
}

fn write(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode_write(200, body).map(|d| d.errors.into_iter().map(|e| e.code.to_string()).collect())
}

fn warehouses(body: &[u8]) -> Result<Vec<String>, TikTokShopError> {
    decode::<Warehouses>(200, body).map(|d| d.warehouses.into_iter().map(|w| w.id).collect())
}

fn fixtures_dir() -> PathBuf {
    support::fixtures_dir(FIXTURES_VAR, "../shared/fixtures/tiktok-shop")
}

/// What the file holds at `pattern`, as text (numbers too).
fn values_at(raw: &Value, pattern: &str) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match pattern.split_once("/*") {
        None => raw.pointer(pattern).and_then(text).into_iter().collect(),
        Some((list, item)) => raw
            .pointer(list)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|i| i.pointer(item).and_then(text)).collect())
            .unwrap_or_default(),
    }
}

#[derive(Debug, PartialEq)]
enum Kind {
    Ok,
    Fail,
}

/// `-ok`, `-ok-2`, `-fail`, `-fail-3` after the prefix, then `.json`.
fn kind_of(rest: &str) -> Option<Kind> {
    let rest = rest.strip_suffix(".json")?;
    let (kind, number) = match rest.strip_prefix("-ok") {
        Some(number) => (Kind::Ok, number),
        None => (Kind::Fail, rest.strip_prefix("-fail")?),
    };
    let numbered = number
        .strip_prefix('-')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    (number.is_empty() || numbered).then_some(kind)
}

fn check(name: &str, body: &[u8]) -> Result<(), String> {
    let (prefix, kind, decoder, pattern) = DECODERS
        .iter()
        .find_map(|(prefix, decoder, pattern)| {
            let kind = kind_of(name.strip_prefix(prefix)?)?;
            Some((prefix, kind, decoder, pattern))
        })
        .ok_or("not `<known prefix>-ok|-fail[-N].json`")?;
    let raw: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    match (kind, decoder(body)) {
        (Kind::Ok, Ok(read)) => {
            let want = values_at(&raw, pattern);
            (read == want)
                .then_some(())
                .ok_or(format!("{prefix} read {read:?}, the file has {want:?}"))
        }
        (Kind::Ok, Err(e)) => Err(format!("did not decode: {e}")),
        (Kind::Fail, Ok(read)) => Err(format!("decoded as a success: {read:?}")),
        (
            Kind::Fail,
            Err(TikTokShopError::Api {
                code,
                message,
                request_id,
                ..
            }),
        ) => {
            let got = (Some(code), Some(message.as_str()), Some(request_id.as_str()));
            let want = (
                raw.get("code").and_then(Value::as_i64),
                raw.get("message").and_then(Value::as_str),
                raw.get("request_id").and_then(Value::as_str),
            );
            (got == want)
                .then_some(())
                .ok_or(format!("error {got:?}, the file has {want:?}"))
        }
        (Kind::Fail, Err(other)) => Err(format!("untyped error: {other:?}")),
    }
}

#[test]
fn every_prefix_in_the_fixtures_readme_has_a_decoder() {
    let listed = support::readme_prefixes(&fixtures_dir());
    assert!(!listed.is_empty(), "the README lists no prefixes");
    let known: Vec<&str> = DECODERS.iter().map(|(prefix, ..)| *prefix).collect();
    let missing: Vec<&String> = listed.iter().filter(|p| !known.contains(&p.as_str())).collect();
    assert!(missing.is_empty(), "prefixes without a decoder: {missing:?}");
}

#[test]
fn every_fixture_body_decodes_as_its_name_says() {
    let is_body = |name: &str| !NOT_BODIES.contains(&name);
    support::check_every_file(&fixtures_dir(), is_body, check);
}

/// Runs [`every_fixture_body_decodes_as_its_name_says`] in a child process pointed at `dir` through the
/// override variable (a test cannot change its own environment safely).
fn fixture_test_on(dir: &Path) -> Output {
    let test_binary = std::env::current_exe().expect("the test binary");
    Command::new(test_binary)
        .args(["--exact", "every_fixture_body_decodes_as_its_name_says", "--nocapture"])
        .env(FIXTURES_VAR, dir)
        .output()
        .expect("the test binary runs")
}

/// A fresh folder holding `files`.
fn folder_with(name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ocean-tiktok-shop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    for (file, body) in files {
        std::fs::write(dir.join(file), body).expect("temp fixture");
    }
    dir
}

fn shops_fixture() -> Value {
    let path = fixtures_dir().join("authorization_shops-ok.json");
    serde_json::from_slice(&std::fs::read(&path).expect("authorization_shops-ok.json")).expect("JSON")
}

#[test]
fn a_fixture_with_a_string_where_an_object_belongs_fails_the_fixture_test() {
    let name = "authorization_shops-ok.json";
    let intact = folder_with("intact", &[(name, serde_json::to_vec(&shops_fixture()).unwrap())]);
    let mut corrupted = shops_fixture();
    *corrupted.pointer_mut("/data/shops/0").expect("a shop") = Value::String("not a shop".into());
    let broken = folder_with("corrupted", &[(name, serde_json::to_vec(&corrupted).unwrap())]);

    let (passes, fails) = (fixture_test_on(&intact), fixture_test_on(&broken));

    assert!(passes.status.success(), "{}", String::from_utf8_lossy(&passes.stderr));
    assert!(!fails.status.success(), "the corrupted fixture decoded");
    let report = String::from_utf8_lossy(&fails.stderr);
    assert!(report.contains(&format!("{name}: did not decode")), "{report}");
    for dir in [intact, broken] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_fixture_with_an_unknown_prefix_fails_the_fixture_test() {
    let body = serde_json::to_vec(&shops_fixture()).unwrap();
    let dir = folder_with("unknown-prefix", &[("coupon_search-ok.json", body)]);

    let output = fixture_test_on(&dir);

    assert!(!output.status.success(), "a file with an unknown prefix passed");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(
        report.contains("coupon_search-ok.json: not `<known prefix>"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn file_names_say_ok_or_fail_with_an_optional_number() {
    assert_eq!(kind_of("-ok.json"), Some(Kind::Ok));
    assert_eq!(kind_of("-ok-2.json"), Some(Kind::Ok));
    assert_eq!(kind_of("-fail-13.json"), Some(Kind::Fail));
    for rest in [
        "-ok",
        "-okay.json",
        "-ok-.json",
        "-fail-x.json",
        "-request.json",
        ".json",
    ] {
        assert_eq!(kind_of(rest), None, "{rest}");
    }
}

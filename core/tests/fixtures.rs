//! Decodes every real marketplace body in the fixtures folder with the production decoders.
//!
//! The folder is `TOKOPEDIA_FIXTURES_DIR` (relative paths are taken from the project root), by default
//! `../shared/fixtures/tokopedia`. Its README lists the file-name prefixes and their endpoints; every listed
//! prefix must have a decoder here, and every `.json` file must start with a listed prefix.
//! `-ok` files decode to typed data, `-fail` files to a typed error that keeps `error_code` and `reason`,
//! `-request-data` files to the endpoint's request type.

#[path = "support/fixtures.rs"]
mod support;

use std::path::PathBuf;

use ocean_core::marketplace::{
    MarketplaceError,
    envelope::{decode, decode_bulk},
    types::{
        Order, PriceUpdateRow, Product, ShipmentInfo, ShopInfo, SingleOrder, StockUpdateRow, WebhookRegisterResult,
        WebhookRegistration, WithRaw,
    },
};
use serde_json::Value;
use support::readme_prefixes;

/// The prefixes this client knows how to decode.
const KNOWN_PREFIXES: [&str; 9] = [
    "shop_get-shop-info",
    "product_get-product-info",
    "product_update-stock-only",
    "product_update-price-only",
    "order_get-all-orders",
    "order_get-single-order",
    "logistic_get-shipment-info",
    "webhooks_register-webhooks",
    "webhooks_list-registered-webhooks",
];

fn fixtures_dir() -> PathBuf {
    support::fixtures_dir("TOKOPEDIA_FIXTURES_DIR", "../shared/fixtures/tokopedia")
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Ok,
    Fail,
    Request,
}

fn kind_of(suffix: &str) -> Option<Kind> {
    let suffix = suffix.strip_suffix(".json")?;
    if suffix == "-request-data" {
        Some(Kind::Request)
    } else if suffix.starts_with("-ok") {
        Some(Kind::Ok)
    } else if suffix.starts_with("-fail") {
        Some(Kind::Fail)
    } else {
        None
    }
}

fn len_of_data(raw: &Value) -> Option<usize> {
    raw.get("data").and_then(Value::as_array).map(Vec::len)
}

fn check_ok(prefix: &str, body: &[u8], raw: &Value) -> Result<(), String> {
    let fmt = |e: MarketplaceError| format!("did not decode: {e}");
    let expect_len = |got: usize| match len_of_data(raw) {
        Some(n) if n == got => Ok(()),
        n => Err(format!("decoded {got} items, file has {n:?}")),
    };
    match prefix {
        "shop_get-shop-info" => expect_len(
            decode::<Vec<ShopInfo>>(200, body)
                .map_err(fmt)?
                .unwrap_or_default()
                .len(),
        ),
        "product_get-product-info" => {
            let items = decode::<Vec<WithRaw<Product>>>(200, body)
                .map_err(fmt)?
                .unwrap_or_default();
            if items.iter().any(|p| p.item.basic.name.is_empty()) {
                return Err("a product lost its name".into());
            }
            expect_len(items.len())
        }
        "product_update-stock-only" | "product_update-price-only" => {
            let result = decode_bulk(200, body).map_err(fmt)?;
            let want = raw.pointer("/data/succeed_rows").and_then(Value::as_u64);
            (Some(u64::from(result.succeed_rows)) == want)
                .then_some(())
                .ok_or("succeed_rows differs".into())
        }
        "order_get-all-orders" => {
            let orders = decode::<Vec<WithRaw<Order>>>(200, body)
                .map_err(fmt)?
                .unwrap_or_default();
            let first_id = raw.pointer("/data/0/order_id").and_then(Value::as_u64);
            if orders.first().map(|o| o.item.order_id) != first_id {
                return Err("first order id differs".into());
            }
            expect_len(orders.len())
        }
        "order_get-single-order" => {
            let order = decode::<SingleOrder>(200, body).map_err(fmt)?.ok_or("no data")?;
            let want = raw.pointer("/data/order_id").and_then(Value::as_u64);
            (Some(order.order_id) == want)
                .then_some(())
                .ok_or("order id differs".into())
        }
        "logistic_get-shipment-info" => expect_len(
            decode::<Vec<ShipmentInfo>>(200, body)
                .map_err(fmt)?
                .unwrap_or_default()
                .len(),
        ),
        "webhooks_register-webhooks" => {
            let answer = decode::<WebhookRegisterResult>(200, body)
                .map_err(fmt)?
                .ok_or("no data")?;
            (Some(answer.as_str()) == raw.get("data").and_then(Value::as_str))
                .then_some(())
                .ok_or("answer differs".into())
        }
        "webhooks_list-registered-webhooks" => decode::<WebhookRegistration>(200, body).map_err(fmt).map(drop),
        other => Err(format!("no decoder for prefix {other}")),
    }
}

/// The error must carry the file's own `error_code` and `reason` (or, for bulk writes, its refused rows).
fn check_fail(prefix: &str, body: &[u8], raw: &Value) -> Result<(), String> {
    let err = if prefix.starts_with("product_update-") {
        decode_bulk(200, body).err()
    } else {
        decode::<Value>(200, body).err()
    }
    .ok_or("decoded as a success")?;
    match err {
        MarketplaceError::Api { error_code, reason, .. } => {
            let header = raw.get("header");
            let want_code = match header.and_then(|h| h.get("error_code")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => raw
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(|s| s.split(' ').next())
                    .unwrap_or("")
                    .to_owned(),
            };
            let want_reason = header
                .and_then(|h| h.get("reason"))
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    let msgs: Vec<&str> = raw
                        .get("error_message")?
                        .as_array()?
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    (!msgs.is_empty()).then(|| msgs.join("; "))
                });
            if error_code != want_code {
                return Err(format!("error_code {error_code:?}, file says {want_code:?}"));
            }
            if reason != want_reason {
                return Err(format!("reason {reason:?}, file says {want_reason:?}"));
            }
            Ok(())
        }
        MarketplaceError::PartialFailure { failed, .. } => {
            let want: Vec<&str> = raw
                .pointer("/data/failed_rows_data")
                .and_then(Value::as_array)
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.get("message").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            let got: Vec<&str> = failed.iter().map(|r| r.message.as_str()).collect();
            (got == want)
                .then_some(())
                .ok_or(format!("row messages {got:?}, file says {want:?}"))
        }
        other => Err(format!("untyped error {other:?}")),
    }
}

fn check_request(prefix: &str, body: &[u8]) -> Result<(), String> {
    let rows = match prefix {
        "product_update-stock-only" => serde_json::from_slice::<Vec<StockUpdateRow>>(body).map(|r| r.len()),
        "product_update-price-only" => serde_json::from_slice::<Vec<PriceUpdateRow>>(body).map(|r| r.len()),
        other => return Err(format!("no request type for prefix {other}")),
    }
    .map_err(|e| e.to_string())?;
    (rows > 0).then_some(()).ok_or("empty request".into())
}

#[test]
fn every_prefix_in_the_fixtures_readme_has_a_decoder() {
    let dir = fixtures_dir();
    let listed = readme_prefixes(&dir);
    assert!(!listed.is_empty(), "README of {} lists no prefixes", dir.display());
    let unknown: Vec<_> = listed
        .iter()
        .filter(|p| !KNOWN_PREFIXES.contains(&p.as_str()))
        .collect();
    assert!(unknown.is_empty(), "prefixes without a decoder: {unknown:?}");
}

#[test]
fn every_fixture_file_decodes_as_its_name_says() {
    let dir = fixtures_dir();
    let mut prefixes = readme_prefixes(&dir);
    // Longest first, so `a-b` is not taken for a file of prefix `a-b-c`.
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let is_json = |name: &str| name.ends_with(".json");
    support::check_every_file(&dir, is_json, |name, body| {
        let prefix = prefixes
            .iter()
            .find(|p| name.starts_with(p.as_str()))
            .ok_or("no README prefix matches")?;
        let kind = kind_of(&name[prefix.len()..]).ok_or("name is not <prefix>-ok|-fail|-request-data")?;
        match (&kind, serde_json::from_slice::<Value>(body)) {
            (_, Err(e)) => Err(format!("not JSON: {e}")),
            (Kind::Ok, Ok(raw)) => check_ok(prefix, body, &raw),
            (Kind::Fail, Ok(raw)) => check_fail(prefix, body, &raw),
            (Kind::Request, Ok(_)) => check_request(prefix, body),
        }
    });
}

//! Every answer has exactly the keys of the documentation's sample for its
//! endpoint (recursively), with the same JSON types: ids and money strings.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::helpers::{shared_fixture, start};

fn fixture(name: &str) -> Value {
    shared_fixture("TIKTOK_SHOP_FIXTURES_DIR", "tiktok-shop", name)
}

/// Same keys at every level and the same JSON type at every leaf. Arrays:
/// each of ours against the sample's first element (an empty array on
/// either side has nothing to compare). A `null` in the sample matches anything.
fn assert_same_shape(sample: &Value, ours: &Value, at: &str) {
    match (sample, ours) {
        (Value::Object(s), Value::Object(o)) => {
            let missing: Vec<&String> = s.keys().filter(|k| !o.contains_key(*k)).collect();
            let extra: Vec<&String> = o.keys().filter(|k| !s.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{at}: missing {missing:?}, extra {extra:?}"
            );
            for (key, value) in s {
                assert_same_shape(value, &o[key], &format!("{at}.{key}"));
            }
        }
        (Value::Array(s), Value::Array(o)) => {
            if let Some(first) = s.first() {
                for (i, item) in o.iter().enumerate() {
                    assert_same_shape(first, item, &format!("{at}[{i}]"));
                }
            }
        }
        (Value::Null, _)
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (s, o) => panic!("{at}: the sample has {s}, the sim {o}"),
    }
}

#[tokio::test]
async fn answers_have_the_shapes_of_the_samples() {
    let h = start(world()).await;
    // Two days on, the orders are in every status.
    h.tts().advance_clock(2 * 86_400);
    let tokens = h.authorize(&[]).await;
    assert_same_shape(&fixture("auth_token-get-ok.json"), &tokens.body, "token");
    let (_, refreshed) = h.refresh(&tokens.refresh).await;
    assert_same_shape(&fixture("auth_token-get-ok.json"), &refreshed, "refresh");
    let token = refreshed["data"]["access_token"].as_str().expect("token").to_owned();

    let (_, _, shops) = h
        .api(Method::GET, "/authorization/202309/shops")
        .token(&token)
        .send()
        .await;
    assert_same_shape(&fixture("authorization_shops-ok.json"), &shops, "shops");

    let (_, _, warehouses) = h
        .shop_api(Method::GET, "/logistics/202309/warehouses", &token, BANDUNG)
        .send()
        .await;
    assert_same_shape(&fixture("logistics_warehouses-ok.json"), &warehouses, "warehouses");

    let (_, _, products) = h
        .shop_api(Method::POST, "/product/202502/products/search", &token, BANDUNG)
        .query("page_size", 100)
        .json(&json!({}))
        .send()
        .await;
    let sample = fixture("product_search-ok.json");
    assert_same_shape(&sample, &products, "products");
    let product_id = products["data"]["products"][0]["id"].as_str().expect("id").to_owned();
    let detail_path = format!("/product/202309/products/{product_id}");
    let (_, _, product_detail) = h.shop_api(Method::GET, &detail_path, &token, BANDUNG).send().await;
    // No sample for the detail: its SKUs are the search's.
    assert_same_shape(
        &sample["data"]["products"][0]["skus"],
        &product_detail["data"]["skus"],
        "detail.skus",
    );

    let (_, _, orders) = h
        .shop_api(Method::POST, "/order/202309/orders/search", &token, BANDUNG)
        .query("page_size", 100)
        .json(&json!({}))
        .send()
        .await;
    let sample = fixture("order_search-ok.json");
    assert_same_shape(&sample, &orders, "orders");
    let statuses: std::collections::HashSet<&str> = orders["data"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["status"].as_str().expect("status"))
        .collect();
    assert!(statuses.len() >= 4, "{statuses:?}");
    let ids: Vec<&str> = orders["data"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .take(50)
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    let (_, _, detail) = h
        .shop_api(Method::GET, "/order/202309/orders", &token, BANDUNG)
        .query("ids", ids.join(","))
        .send()
        .await;
    assert_same_shape(
        &json!({"orders": sample["data"]["orders"]}),
        &detail["data"],
        "order detail",
    );

    let sku = product_detail["data"]["skus"][0]["id"].as_str().expect("sku id");
    let update_path = format!("/product/202309/products/{product_id}/inventory/update");
    let (_, _, update) = h
        .shop_api(Method::POST, &update_path, &token, BANDUNG)
        .json(&json!({"skus": [{"id": sku, "inventory": [{"warehouse_id": "1", "quantity": 1}]}]}))
        .send()
        .await;
    assert_same_shape(&fixture("inventory_update-ok.json"), &update, "inventory update");
    assert!(!update["data"]["errors"].as_array().expect("errors").is_empty());

    h.tts().set_rate_limit(
        Some("order-search"),
        ocean_sim::RateLimit {
            rate_per_sec: 0.001,
            burst: 0,
        },
    );
    let (status, _, limited) = h
        .shop_api(Method::POST, "/order/202309/orders/search", &token, BANDUNG)
        .query("page_size", 1)
        .send()
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let sample = fixture("order_search-fail.json");
    assert_same_shape(&sample, &limited, "429");
    assert_eq!(limited["code"], sample["code"]);
    assert_eq!(limited["message"], sample["message"]);
}

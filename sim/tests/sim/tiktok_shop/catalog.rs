//! Product search and detail, inventory per warehouse.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::helpers::{Harness, start};

fn product_search<'a>(h: &'a Harness, token: &str, shop: u64) -> Call<'a> {
    h.shop_api(Method::POST, "/product/202502/products/search", token, shop)
}

/// Every page of a product search: the ids served, the totals and tokens seen.
async fn all_products(h: &Harness, token: &str, shop: u64, page_size: usize, filter: &Value) -> (Vec<u64>, Vec<u64>) {
    let mut ids = Vec::new();
    let mut totals = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut call = product_search(h, token, shop)
            .query("page_size", page_size)
            .json(filter);
        if !page_token.is_empty() {
            call = call.query("page_token", &page_token);
        }
        let (status, _, body) = call.send().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        totals.push(data["total_count"].as_u64().expect("total"));
        for product in data["products"].as_array().expect("products") {
            ids.push(product["id"].as_str().expect("string id").parse().expect("numeric id"));
        }
        page_token = data["next_page_token"].as_str().expect("token").to_owned();
        if page_token.is_empty() {
            return (ids, totals);
        }
        assert!(page_token.starts_with("+/"), "{page_token}");
    }
}

#[tokio::test]
async fn cursor_paging_serves_every_product_exactly_once() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let (ids, totals) = all_products(&h, &tokens.access, BANDUNG, 7, &json!({})).await;
    let catalog = h.tts().product_ids(BANDUNG);
    assert_eq!(catalog.len(), 120);
    assert_eq!(ids, catalog);
    assert!(totals.iter().all(|&t| t == 120));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());

    // Filters narrow the count; seller_skus is capped at ten.
    let (active, totals) = all_products(&h, &tokens.access, BANDUNG, 50, &json!({"status": "ACTIVATE"})).await;
    assert!(!active.is_empty() && active.len() < 120, "{}", active.len());
    assert_eq!(totals[0], active.len() as u64);
    let skus: Vec<String> = (0..11).map(|i| format!("SKU-{i}")).collect();
    let (status, _, body) = product_search(&h, &tokens.access, BANDUNG)
        .query("page_size", 10)
        .json(&json!({"seller_skus": skus}))
        .send()
        .await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 12_019_027));

    // page_size is required and at most 100.
    let (_, _, body) = product_search(&h, &tokens.access, BANDUNG)
        .query("page_size", 101)
        .send()
        .await;
    assert_eq!(code_of(&body), 36_009_004);
    let (_, _, body) = product_search(&h, &tokens.access, BANDUNG).send().await;
    assert_eq!(code_of(&body), 36_009_004);
}

#[tokio::test]
async fn a_page_token_sent_without_encoding_is_refused() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let (_, _, body) = product_search(&h, &tokens.access, BANDUNG)
        .query("page_size", 5)
        .send()
        .await;
    let page_token = body["data"]["next_page_token"].as_str().expect("token").to_owned();
    // Signed over the token, but sent raw: `+` arrives as a space.
    let path = "/product/202502/products/search";
    let query = [
        ("app_key", APP_KEY.to_owned()),
        ("timestamp", wall_now().to_string()),
        ("shop_cipher", h.cipher(BANDUNG)),
        ("page_size", "5".to_owned()),
        ("page_token", page_token.clone()),
    ];
    let sign = ocean_sim::tiktok_shop::signing::request_signature(APP_SECRET, path, query.iter().cloned(), Some(b""));
    let raw: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("{}/tiktok-shop/api{path}?{}&sign={sign}", h.base, raw.join("&"));
    let response = h
        .http
        .post(url)
        .header("x-tts-access-token", &tokens.access)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code_of(&body), 106_001);
}

#[tokio::test]
async fn product_search_stops_at_its_cap() {
    let mut config = world();
    config.tiktok_shop.product_search_cap = 20;
    let h = start(config).await;
    let tokens = h.authorize(&[]).await;
    let (_, _, first) = product_search(&h, &tokens.access, BANDUNG)
        .query("page_size", 20)
        .send()
        .await;
    let next = first["data"]["next_page_token"].as_str().expect("token").to_owned();
    let (status, _, body) = product_search(&h, &tokens.access, BANDUNG)
        .query("page_size", 20)
        .query("page_token", &next)
        .send()
        .await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 12_052_180));
}

#[tokio::test]
async fn product_detail_by_id() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let id = h.tts().product_ids(BANDUNG)[3];
    let detail = |id: String| {
        h.shop_api(
            Method::GET,
            &format!("/product/202309/products/{id}"),
            &tokens.access,
            BANDUNG,
        )
    };
    let (status, _, body) = detail(id.to_string()).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["id"], id.to_string());
    assert_eq!(body["data"]["skus"][0]["price"]["currency"], "IDR");
    assert!(body["data"]["skus"][0]["price"]["sale_price"].is_string());
    assert_eq!(body["data"]["skus"][0]["inventory"].as_array().map(Vec::len), Some(2));
    assert!(
        body["data"]["category_chains"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );

    // Another shop's product is not found through this cipher.
    let medan = h.tts().product_ids(MEDAN)[0];
    let (status, _, body) = detail(medan.to_string()).send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::NOT_FOUND, 12_052_032));
}

#[tokio::test]
async fn inventory_is_kept_and_written_per_warehouse() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let product = h.tts().product_ids(BANDUNG)[0];
    let before = h.tts().stock(BANDUNG, product);
    let [(w1, _), (w2, _)] = before[..] else {
        panic!("two warehouses: {before:?}");
    };
    let search = |body: Value| {
        h.shop_api(
            Method::POST,
            "/product/202309/inventory/search",
            &tokens.access,
            BANDUNG,
        )
        .json(&body)
    };
    let (status, _, body) = search(json!({"product_ids": [product.to_string()]})).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sku = &body["data"]["inventory"][0]["skus"][0];
    let sku_id = sku["id"].as_str().expect("sku id").to_owned();
    let quantities: Vec<u64> = sku["warehouse_inventory"]
        .as_array()
        .expect("per warehouse")
        .iter()
        .map(|w| w["available_quantity"].as_u64().expect("quantity"))
        .collect();
    let expected: Vec<u64> = before.iter().map(|&(_, q)| u64::from(q)).collect();
    assert_eq!(quantities, expected);
    assert_eq!(sku["total_available_quantity"], expected.iter().sum::<u64>());

    let update_path = format!("/product/202309/products/{product}/inventory/update");
    let update = |rows: Value| {
        h.shop_api(Method::POST, &update_path, &tokens.access, BANDUNG)
            .json(&json!({"skus": rows}))
    };
    let one_warehouse = json!([{"id": sku_id, "inventory": [{"warehouse_id": w1.to_string(), "quantity": 5}]}]);
    let (status, _, body) = update(one_warehouse).send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 12_019_028));
    assert_eq!(h.tts().stock(BANDUNG, product), before, "nothing changed");

    let negative = json!([{"id": sku_id, "inventory": [{"warehouse_id": w1.to_string(), "quantity": -1}]}]);
    assert_eq!(code_of(&update(negative).send().await.2), 12_019_024);

    let unknown = json!([{"id": sku_id, "inventory": [
        {"warehouse_id": w1.to_string(), "quantity": 1},
        {"warehouse_id": "7068517275539719942", "quantity": 1},
    ]}]);
    let (status, _, body) = update(unknown).send().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["errors"][0]["detail"]["sku_id"], sku_id.as_str());
    assert_eq!(
        body["data"]["errors"][0]["detail"]["extra_errors"][0]["code"],
        12_052_097
    );
    assert_eq!(h.tts().stock(BANDUNG, product), before, "a failed SKU is not written");

    let both = json!([{"id": sku_id, "inventory": [
        {"warehouse_id": w2.to_string(), "quantity": 7},
        {"warehouse_id": w1.to_string(), "quantity": 11},
    ]}]);
    let (status, _, body) = update(both).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["errors"], json!([]));
    assert_eq!(h.tts().stock(BANDUNG, product), [(w1, 11), (w2, 7)]);

    let (_, _, body) = search(json!({"sku_ids": [sku_id]})).send().await;
    assert_eq!(body["data"]["inventory"][0]["skus"][0]["total_available_quantity"], 18);
    let (_, _, body) = search(json!({"product_ids": ["1"]})).send().await;
    assert_eq!(code_of(&body), 12_019_008);
}

//! Every simulated endpoint over real HTTP: tokens, paging, windows, links, rate limits, bulk rows, faults.

use ocean_sim::{RateLimit, Sim, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn token_is_granted_reused_and_checked() {
    let h = start(fast_demo()).await;
    let (status, first) = h.token_response("jakarta-client", "jakarta-secret").await;
    assert_eq!(status, StatusCode::OK);
    let token = first["access_token"].as_str().expect("token");
    assert!(token.starts_with("c:"), "{token}");
    assert_eq!(first["expires_in"], 1_209_600);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["event_code"], "");
    assert_eq!(first["last_login_type"], "8");
    assert_eq!(first["sq_check"], false);

    // grant_type as a form body; the live token comes back.
    let second: Value = h
        .http
        .post(format!("{}/token", h.base))
        .basic_auth("jakarta-client", Some("jakarta-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert_eq!(second["access_token"], token);
    assert!(second["expires_in"].as_u64().expect("secs") <= 1_209_600);

    let (status, bad) = h.token_response("jakarta-client", "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad["error"], "invalid_client");
    assert!(bad["error_description"].is_string());

    let missing = h
        .http
        .post(format!("{}/token?grant_type=client_credentials", h.base))
        .send()
        .await
        .expect("token");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    let (status, _, body) = h.get("c:not-a-token", "/v1/shop/fs/12345/shop-info").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["data"].is_null());
    let (status, _, _) = h.get(token, "/v1/shop/fs/12345/shop-info").await;
    assert_eq!(status, StatusCode::OK);

    h.sim.expire_tokens();
    let (status, _, _) = h.get(token, "/v1/shop/fs/12345/shop-info").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_ne!(h.token().await, token);

    let stats = h.sim.stats();
    assert_eq!(stats.token_grants, 3);
    assert_eq!(stats.tokens_issued, 2);
}

#[tokio::test]
async fn products_page_until_a_short_page() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let (status, _, body) = h.get(&token, &products_path(page, 50)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["data"].as_array().expect("array");
        ids.extend(items.iter().map(|p| p["basic"]["productID"].as_u64().expect("id")));
        if items.len() < 50 {
            break;
        }
        page += 1;
    }
    let catalog: Vec<u64> = h.sim.products(JAKARTA_SHOP).iter().map(|p| p.product_id).collect();
    assert_eq!(catalog.len(), 240);
    assert_eq!(ids, catalog);

    let (_, _, past_end) = h.get(&token, &products_path(99, 50)).await;
    assert_eq!(past_end["data"], json!([]));

    let no_page = format!("/inventory/v1/fs/{JAKARTA_FS}/product/info?shop_id={JAKARTA_SHOP}&per_page=10");
    let (status, _, body) = h.get(&token, &no_page).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "PRD_DLV_005");
    assert_eq!(body["header"]["reason"], "page cannot be empty when shop_id is filled");

    let (status, _, body) = h.get(&token, &products_path(1, 51)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_code(&body).as_str().expect("code").starts_with("PRD_DLV_"));

    // Lookups by repeated product_id and by SKU.
    let some = &h.sim.products(JAKARTA_SHOP)[..3];
    let path = format!(
        "/inventory/v1/fs/{JAKARTA_FS}/product/info?product_id={}&product_id={}&sku={}",
        some[0].product_id, some[1].product_id, some[2].sku
    );
    let (_, _, body) = h.get(&token, &path).await;
    let got: Vec<u64> = body["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["basic"]["productID"].as_u64().expect("id"))
        .collect();
    assert_eq!(got, some.iter().map(|p| p.product_id).collect::<Vec<_>>());
}

#[tokio::test]
async fn empty_page_can_be_null() {
    let h = start(SimConfig {
        empty_page_null: true,
        ..fast_demo()
    })
    .await;
    let token = h.token().await;
    let (_, _, body) = h.get(&token, &products_path(99, 50)).await;
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn orders_need_a_short_window_and_page() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let to = h.sim.anchor();
    let from = to - 3 * DAY;

    let (status, _, body) = h.get(&token, &orders_path(from, to, 1, 50)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "ORD_DLV_013");
    assert_eq!(body["header"]["reason"], "Date Range must be less than 3 days");

    let (status, _, body) = h.get(&token, &orders_path(from + 1, to, 1, 101)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_code(&body).as_str().expect("code").starts_with("ORD_DLV_"));

    let no_page = format!("/v2/order/list?fs_id={JAKARTA_FS}&from_date={from}&to_date={to}&per_page=10");
    let (status, _, body) = h.get(&token, &no_page).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_code(&body).as_str().expect("code").starts_with("ORD_DLV_"));

    let both = format!(
        "{}&shop_id={JAKARTA_SHOP}&warehouse_id=678901",
        orders_path(from + 1, to, 1, 10)
    );
    let (status, _, _) = h.get(&token, &both).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Page through the widest allowed window.
    let from = to - 3 * DAY + 1;
    let mut seen: Vec<(i64, u64)> = Vec::new();
    let mut page = 1;
    loop {
        let (status, _, body) = h.get(&token, &orders_path(from, to, page, 40)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["data"].as_array().expect("array");
        for order in items {
            assert_eq!(order["fs_id"], "12345");
            let status = order["order_status"].as_u64().expect("status");
            assert!([0, 10, 220, 400, 450, 500, 600, 700].contains(&status), "{status}");
            seen.push((
                order["create_time"].as_i64().expect("time"),
                order["order_id"].as_u64().expect("id"),
            ));
        }
        if items.len() < 40 {
            break;
        }
        page += 1;
    }
    let expected: Vec<(i64, u64)> = h
        .sim
        .orders(JAKARTA_SHOP)
        .iter()
        .filter(|o| (from..=to).contains(&o.create_time))
        .map(|o| (o.create_time, o.order_id))
        .collect();
    assert!(expected.len() > 40, "history too thin: {}", expected.len());
    assert_eq!(seen, expected);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn single_order_by_id_and_invoice() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let order = h.sim.orders(JAKARTA_SHOP).pop().expect("an order");
    let by_id = format!("/v2/fs/{JAKARTA_FS}/order?order_id={}", order.order_id);
    let (status, _, body) = h.get(&token, &by_id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["invoice_number"], order.invoice_ref_num.as_str());
    let by_invoice = format!(
        "/v2/fs/{JAKARTA_FS}/order?invoice_num={}",
        order.invoice_ref_num.replace('/', "%2F")
    );
    let (_, _, same) = h.get(&token, &by_invoice).await;
    assert_eq!(same["data"]["order_id"], order.order_id);

    let (status, _, body) = h.get(&token, &format!("/v2/fs/{JAKARTA_FS}/order?order_id=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "ORD_API_008");
}

#[tokio::test]
async fn unlinked_shop_or_app_is_forbidden() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let other_shop = format!("/inventory/v1/fs/{JAKARTA_FS}/product/info?shop_id={SURABAYA_SHOP}&page=1&per_page=5");
    let (status, _, body) = h.get(&token, &other_shop).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "RBAC_MDLW_001");
    assert!(body["data"].is_null());

    let other_app = "/v1/shop/fs/67891/shop-info";
    let (status, _, body) = h.get(&token, other_app).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "RBAC_MDLW_001");

    let to = h.sim.anchor();
    let orders = format!("{}&shop_id={SURABAYA_SHOP}", orders_path(to - DAY, to, 1, 10));
    let (status, _, _) = h.get(&token, &orders).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn empty_bucket_answers_429_with_headers() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let response = h
        .http
        .put(format!("{}/sim/rate-limit", h.base))
        .json(&json!({"endpoint": "shop-info", "rate_per_sec": 0.01, "burst": 3}))
        .send()
        .await
        .expect("control");
    assert_eq!(response.status(), StatusCode::OK);

    let path = format!("/v1/shop/fs/{JAKARTA_FS}/shop-info");
    let (status, headers, body) = h.get(&token, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["header"]["error_code"], 0);
    assert_eq!(body["header"]["reason"], "");
    assert_eq!(headers["x-ratelimit-limit"], "0.01 req/s (burst 3)");
    assert_eq!(headers["x-ratelimit-remaining"], "2");
    assert_eq!(headers["x-ratelimit-reset-after"], "-0.000000");
    h.get(&token, &path).await;
    h.get(&token, &path).await;

    let (status, headers, body) = h.get(&token, &path).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "TOO_MANY_REQUEST");
    assert!(body["data"].is_null());
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let secs = |name: &str| -> f64 {
        let value = headers[name].to_str().expect("ascii");
        assert_eq!(value.split('.').nth(1).map(str::len), Some(6), "{name}: {value}");
        value.parse().expect("seconds")
    };
    assert!(secs("x-ratelimit-reset-after") > 0.0);
    assert!(secs("x-ratelimit-full-reset-after") >= secs("x-ratelimit-reset-after"));
    assert!(headers.get("retry-after").is_none());

    // Other endpoints keep their own buckets.
    let (status, _, _) = h.get(&token, &products_path(1, 1)).await;
    assert_eq!(status, StatusCode::OK);

    let stats: Value = h
        .http
        .get(format!("{}/sim/stats", h.base))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["rate_limited"]["shop-info"], 1);
    assert_eq!(stats["requests"]["shop-info"], 4);
}

#[tokio::test]
async fn stock_update_rows_share_the_bucket() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let products = h.sim.products(JAKARTA_SHOP);
    let too_many: Vec<Value> = (0..101)
        .map(|_| json!({"product_id": products[0].product_id, "new_stock": 1}))
        .collect();
    let (status, body) = h.stock_update(&token, &json!(too_many)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    assert!(h.sim.set_rate_limit(
        Some("stock-update"),
        RateLimit {
            rate_per_sec: 0.01,
            burst: 3
        }
    ));
    let rows = json!([
        {"sku": products[0].sku, "new_stock": 11},
        {"sku": "NO-SUCH-SKU", "new_stock": 12},
        // sku wins over product_id
        {"sku": products[2].sku, "product_id": products[9].product_id, "new_stock": 13},
        {"product_id": products[3].product_id, "new_stock": 14},
        {"product_id": products[4].product_id, "new_stock": 15},
    ]);
    let (status, body) = h.stock_update(&token, &rows).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["succeed_rows"], 2);
    assert_eq!(data["failed_rows"], 3);
    let messages: Vec<&str> = data["failed_rows_data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        messages,
        ["Invalid SKU.", "ERR_TOO_MANY_REQUEST", "ERR_TOO_MANY_REQUEST"]
    );

    assert_eq!(h.sim.stock(JAKARTA_SHOP, products[0].product_id), Some(11));
    assert_eq!(h.sim.stock(JAKARTA_SHOP, products[2].product_id), Some(13));
    assert_eq!(
        h.sim.stock(JAKARTA_SHOP, products[9].product_id),
        Some(products[9].stock)
    );
    assert_eq!(
        h.sim.stock(JAKARTA_SHOP, products[3].product_id),
        Some(products[3].stock)
    );
    assert_eq!(h.sim.stats().throttled_rows["stock-update"], 2);

    // The new stock shows in product reads.
    let path = format!(
        "/inventory/v1/fs/{JAKARTA_FS}/product/info?product_id={}",
        products[0].product_id
    );
    let (_, _, body) = h.get(&token, &path).await;
    assert_eq!(body["data"][0]["stock"]["value"], 11);

    let (status, _) = h.stock_update(&token, &rows).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn failure_rate_one_always_fails() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    assert!(h.sim.set_failure_rate(JAKARTA_SHOP, 1.0));
    for _ in 0..3 {
        let (status, _, body) = h.get(&token, &products_path(1, 5)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error_code(&body), "ORD_API_006");
        assert_eq!(body["header"]["reason"], "There Are Error From Ext Service");
        assert_eq!(
            body["header"]["messages"],
            "Our server encounters an error, please try again later"
        );
    }
    let response = h
        .http
        .put(format!("{}/sim/shops/{JAKARTA_SHOP}", h.base))
        .json(&json!({"failure_rate": 0.0}))
        .send()
        .await
        .expect("control");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _, _) = h.get(&token, &products_path(1, 5)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn same_seed_same_world() {
    let (a, b) = (
        Sim::new_at(fast_demo(), 1_736_467_200),
        Sim::new_at(fast_demo(), 1_736_467_200),
    );
    assert_eq!(a.products(JAKARTA_SHOP), b.products(JAKARTA_SHOP));
    assert_eq!(a.orders(SURABAYA_SHOP), b.orders(SURABAYA_SHOP));
    let quirky = a
        .products(JAKARTA_SHOP)
        .iter()
        .filter(|p| p.capitalized_name_key)
        .count();
    assert!((10..=70).contains(&quirky), "{quirky} products use \"Name\"");

    // And over HTTP: the same catalog pages byte for byte.
    let (h1, h2) = (start(fast_demo()).await, start(fast_demo()).await);
    let (t1, t2) = (h1.token().await, h2.token().await);
    for page in 1..=5 {
        let (_, _, p1) = h1.get(&t1, &products_path(page, 50)).await;
        let (_, _, p2) = h2.get(&t2, &products_path(page, 50)).await;
        assert_eq!(p1["data"], p2["data"]);
    }
}

#[tokio::test]
async fn unknown_route_and_added_app() {
    let h = start(fast_demo()).await;
    let token = h.token().await;
    let (status, headers, body) = h.get(&token, "/v9/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["header"]["error_code"].is_string());
    assert!(headers.contains_key("x-ratelimit-limit"));

    let app = json!({"fs_id": 777, "client_id": "new", "client_secret": "app",
                     "shops": [{"shop_id": 4242, "name": "Toko Bandung", "seed": 7, "products": 5, "orders": 20}]});
    let response = h
        .http
        .post(format!("{}/sim/apps", h.base))
        .json(&app)
        .send()
        .await
        .expect("add app");
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, body) = h.token_response("new", "app").await;
    assert_eq!(status, StatusCode::OK);
    let new_token = body["access_token"].as_str().expect("token");
    let (status, _, body) = h.get(new_token, "/v2/logistic/fs/777/info?shop_id=4242").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["header"]["error_code"], 0);
    assert_eq!(body["data"][0]["shipper_name"], "JNE");
    assert!(body["data"][0]["services"][0]["service_id"].is_u64());
}

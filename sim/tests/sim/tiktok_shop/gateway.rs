//! Signatures against the published vectors, every rejection the gateway
//! makes before a route runs, the hidden rate limit and unknown routes.

use ocean_sim::tiktok_shop::signing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::helpers::{shared_fixture, start};

fn vectors() -> Vec<Value> {
    let file = shared_fixture("TIKTOK_SHOP_FIXTURES_DIR", "tiktok-shop", "signing-vectors.json");
    file["vectors"].as_array().expect("vectors").clone()
}

#[test]
fn signing_reproduces_every_published_vector() {
    let vectors = vectors();
    assert!(!vectors.is_empty());
    for v in vectors {
        let text = |key: &str| v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_owned();
        let secret = text("app_secret");
        let ours = match text("kind").as_str() {
            "request" => {
                let query: Vec<(String, String)> = v["query"]
                    .as_object()
                    .expect("query")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
                    .collect();
                let body = v["body"].as_str().map(str::as_bytes);
                let multipart = v["content_type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("multipart/form-data"));
                let body = if multipart { None } else { body };
                let base = signing::base_string(&text("path"), query.iter().cloned(), body);
                assert_eq!(
                    String::from_utf8(base).expect("utf-8"),
                    text("base_string"),
                    "vector {}",
                    v["id"]
                );
                signing::request_signature(&secret, &text("path"), query, body)
            }
            "webhook" => signing::webhook_signature(&text("app_key"), &secret, text("raw_body").as_bytes()),
            other => panic!("unknown vector kind {other}"),
        };
        assert_eq!(ours, text("expected"), "vector {}", v["id"]);
    }
}

/// Status, code and message of an answer.
async fn ask(call: Call<'_>) -> (StatusCode, u64, String) {
    let (status, _, body) = call.send().await;
    (
        status,
        code_of(&body),
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn bad_signatures_and_credentials_get_the_documented_codes() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let shops = "/authorization/202309/shops";

    let (status, code_, _) = ask(h.api(Method::GET, shops).token(&tokens.access)).await;
    assert_eq!((status, code_), (StatusCode::OK, 0));

    let tampered = h
        .api(Method::GET, shops)
        .token(&tokens.access)
        .sign(Sign::Given("0".repeat(64)));
    assert_eq!(ask(tampered).await.1, 106_001);

    let body = json!({"order_status": "AWAITING_SHIPMENT"});
    let other_body = h
        .shop_api(Method::POST, "/order/202309/orders/search", &tokens.access, BANDUNG)
        .query("page_size", 10)
        .json(&body)
        .sign(Sign::OverBody(b"{}".to_vec()));
    assert_eq!(ask(other_body).await.1, 106_001, "the body is signed");

    let (status, code_, message) = ask(h.api(Method::GET, shops).token(&tokens.access).sign(Sign::Missing)).await;
    assert_eq!((status, code_), (StatusCode::UNAUTHORIZED, 36_009_004));
    assert!(message.starts_with("Missing credentials"), "{message}");

    let unknown_app = h.api(Method::GET, shops).token(&tokens.access).app("nope", "nope");
    let (_, code_, message) = ask(unknown_app).await;
    assert_eq!(code_, 36_009_004);
    assert!(message.contains("`app_key`"), "{message}");

    let stale = h
        .api(Method::GET, shops)
        .token(&tokens.access)
        .timestamp(Some(wall_now() - 3_600));
    let (_, code_, message) = ask(stale).await;
    assert_eq!(code_, 36_009_004);
    assert!(message.contains("earlier than 5 minutes"), "{message}");

    let ahead = h
        .api(Method::GET, shops)
        .token(&tokens.access)
        .timestamp(Some(wall_now() + 3_600));
    let (_, code_, message) = ask(ahead).await;
    assert_eq!(code_, 36_009_004);
    assert!(message.contains("more than 30 seconds"), "{message}");

    let (_, code_, _) = ask(h.api(Method::GET, shops).token(&tokens.access).timestamp(None)).await;
    assert_eq!(code_, 36_009_004);

    let (status, code_, message) = ask(h.api(Method::GET, shops).token("TTP_not-a-token")).await;
    assert_eq!((status, code_), (StatusCode::UNAUTHORIZED, 36_009_004));
    assert!(message.contains("x-tts-access-token"), "{message}");
    assert_eq!(ask(h.api(Method::GET, shops)).await.1, 36_009_004, "no token");

    // The demo app's token, signed by another app.
    let foreign = h
        .api(Method::GET, shops)
        .token(&tokens.access)
        .app(OTHER_APP_KEY, OTHER_APP_SECRET);
    assert_eq!(ask(foreign).await.1, 36_009_004);

    let (status, code_, message) = ask(h.shop_api(Method::GET, shops, &tokens.access, BANDUNG)).await;
    assert_eq!((status, code_), (StatusCode::BAD_REQUEST, 36_009_004));
    assert!(message.starts_with("Unexpected identifier"), "{message}");

    let warehouses = "/logistics/202309/warehouses";
    let (status, code_, _) = ask(h.api(Method::GET, warehouses).token(&tokens.access)).await;
    assert_eq!((status, code_), (StatusCode::BAD_REQUEST, 106_013));

    let not_ours = h.shop_api(Method::GET, warehouses, &tokens.access, DENPASAR);
    assert_eq!(ask(not_ours).await.1, 105_003);
    let made_up = h
        .api(Method::GET, warehouses)
        .token(&tokens.access)
        .cipher("ROW_nothing");
    assert_eq!(ask(made_up).await.1, 105_003);

    let stats = h.tts().stats();
    assert_eq!(stats.requests["authorized-shops"], 11);
    assert_eq!(stats.requests["warehouses"], 3);
}

#[tokio::test]
async fn past_the_hidden_limit_come_429s_without_limit_headers() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let (status, _) = h
        .control(
            Method::PUT,
            "/rate-limit",
            &json!({"endpoint": "order-search", "rate_per_sec": 0.001, "burst": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let search = |shop: u64| {
        h.shop_api(Method::POST, "/order/202309/orders/search", &tokens.access, shop)
            .query("page_size", 1)
            .json(&json!({}))
    };
    for _ in 0..3 {
        let (status, headers, _) = search(BANDUNG).send().await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers.keys().all(|k| !k.as_str().starts_with("x-ratelimit")),
            "{headers:?}"
        );
    }
    let (status, headers, body) = search(BANDUNG).send().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_of(&body), 36_009_002);
    assert!(body["data"].is_null());
    assert!(headers.get("retry-after").is_none());
    assert!(
        headers.keys().all(|k| !k.as_str().starts_with("x-ratelimit")),
        "{headers:?}"
    );

    // Buckets are per shop and per endpoint.
    assert_eq!(search(MEDAN).send().await.0, StatusCode::OK);
    let products = h
        .shop_api(Method::POST, "/product/202502/products/search", &tokens.access, BANDUNG)
        .query("page_size", 1);
    assert_eq!(products.send().await.0, StatusCode::OK);

    let (_, stats) = h.control(Method::GET, "/stats", &json!({})).await;
    assert_eq!(stats["rate_limited"]["order-search"], 1);
    assert_eq!(stats["requests"]["order-search"], 5);
}

#[tokio::test]
async fn retry_after_comes_when_configured() {
    let mut config = world();
    config.tiktok_shop.retry_after = true;
    config.tiktok_shop.endpoint_limits.insert(
        "warehouses".into(),
        ocean_sim::RateLimit {
            rate_per_sec: 0.001,
            burst: 1,
        },
    );
    let h = start(config).await;
    let tokens = h.authorize(&[]).await;
    let call = || h.shop_api(Method::GET, "/logistics/202309/warehouses", &tokens.access, BANDUNG);
    assert_eq!(call().send().await.0, StatusCode::OK);
    let (status, headers, _) = call().send().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=1_000).contains(&secs), "{secs}");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_envelope() {
    let h = start(world()).await;
    let (status, _, body) = h.api(Method::GET, "/product/202309/nothing/here").send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::NOT_FOUND, 36_009_009));
    let (status, _, body) = h.api(Method::GET, "/order/202309/orders/search").send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::METHOD_NOT_ALLOWED, 36_009_010));
    let (status, body) = h.auth_get("/api/v2/token/nothing", &[]).await;
    assert_eq!((status, code_of(&body)), (StatusCode::NOT_FOUND, 36_009_009));
    assert_eq!(h.tts().stats().requests["unknown"], 3);

    // Tokopedia is served from the same listener all along.
    let token = h.token().await;
    let (status, _, _) = h.get(&token, "/v1/shop/fs/12345/shop-info").await;
    assert_eq!(status, StatusCode::OK);
}

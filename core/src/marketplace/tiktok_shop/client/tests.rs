//! Request construction without a server: what the client would send, checked against [`sign_request`].

use std::collections::HashMap;

use super::*;
use crate::marketplace::tiktok_shop::settings::tests::settings;

fn client(app_key: &str, app_secret: &str) -> TikTokShopClient {
    TikTokShopClient::new(&settings(app_key, app_secret)).expect("client")
}

fn shop() -> ShopAuthorization {
    ShopAuthorization {
        access_token: SecretString::from("TTP_token".to_owned()),
        shop_cipher: "GCP_cipher".into(),
    }
}

fn build(client: &TikTokShopClient, call: &ApiCall, cipher: Option<&str>, timestamp: i64) -> reqwest::Request {
    let token = shop().access_token;
    client
        .signed(call, &token, cipher, timestamp)
        .and_then(|r| r.build().map_err(|e| TikTokShopError::InvalidRequest(e.to_string())))
        .expect("request")
}

fn query(request: &reqwest::Request) -> Vec<(String, String)> {
    request.url().query_pairs().into_owned().collect()
}

/// The parameters a request carries besides `sign`, and its `sign`.
fn split_sign(request: &reqwest::Request) -> (Vec<(String, String)>, String) {
    let (sign, rest): (Vec<_>, Vec<_>) = query(request).into_iter().partition(|(k, _)| k == "sign");
    let [(_, sign)] = <[_; 1]>::try_from(sign).expect("exactly one sign");
    (rest, sign)
}

#[test]
fn the_documented_example_request_carries_the_published_signature() {
    let client = client("29a39d", "e59af819cc");
    let request = build(
        &client,
        &ApiCall::get(ApiEndpoint::AuthorizedShops, auth::AUTHORIZED_SHOPS),
        Some("GCP_cipher"),
        1623812664,
    );
    assert_eq!(request.url().path(), "/authorization/202309/shops");
    let (params, sign) = split_sign(&request);
    let params: HashMap<_, _> = params.into_iter().collect();
    assert_eq!(
        params.len(),
        2,
        "only app_key and timestamp, no shop_cipher: {params:?}"
    );
    assert_eq!(sign, "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8");
}

#[test]
fn a_shop_call_signs_exactly_what_it_sends() {
    let client = client("app", "secret");
    let cursor = "6AsPQsUMvH3Rkch+7D1ud64MPNz5OaT/N5M1==";
    let call = orders::order_search((1_700_000_000, 1_700_003_600), Some(cursor)).unwrap();
    let request = build(&client, &call, Some("GCP_cipher"), 1_700_000_123);

    let raw_query = request.url().query().unwrap_or_default().to_owned();
    assert!(
        raw_query.contains("page_token=6AsPQsUMvH3Rkch%2B7D1ud64MPNz5OaT%2FN5M1%3D%3D"),
        "{raw_query}"
    );
    let (params, sign) = split_sign(&request);
    let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(get("page_token"), Some(cursor));
    assert_eq!(get("app_key"), Some("app"));
    assert_eq!(get("timestamp"), Some("1700000123"));
    assert_eq!(get("shop_cipher"), Some("GCP_cipher"));
    assert_eq!(get("page_size"), Some("100"));
    assert_eq!(get("sort_field"), Some("update_time"));
    assert_eq!(get("sort_order"), Some("ASC"));

    let body = request.body().and_then(|b| b.as_bytes()).expect("a body");
    assert_eq!(body, br#"{"update_time_ge":1700000000,"update_time_lt":1700003600}"#);
    let secret = SecretString::from("secret".to_owned());
    let path = request.url().path();
    assert_eq!(sign, sign_request(&secret, path, &params, Some(body), Some(JSON)));

    let headers = request.headers();
    assert_eq!(headers[ACCESS_TOKEN_HEADER], "TTP_token");
    assert!(headers[ACCESS_TOKEN_HEADER].is_sensitive());
    assert_eq!(headers[CONTENT_TYPE], JSON);
}

#[test]
fn no_shop_cipher_goes_to_authorization_or_seller_paths() {
    assert!(!takes_shop_cipher("/authorization/202309/shops"));
    assert!(!takes_shop_cipher("/seller/202309/shops"));
    assert!(takes_shop_cipher("/product/202309/products/1"));
    assert!(takes_shop_cipher(orders::ORDER_SEARCH));
}

#[test]
fn the_token_urls_carry_the_grant_unsigned() {
    let client = client("app", "secret");
    let code = SecretString::from("CODE".to_owned());
    let url = client
        .token_url(auth::TOKEN_GET, ("auth_code", &code), "authorized_code")
        .unwrap();
    assert_eq!(url.path(), "/api/v2/token/get");
    let params: HashMap<_, _> = url.query_pairs().into_owned().collect();
    let want = [
        ("app_key", "app"),
        ("app_secret", "secret"),
        ("auth_code", "CODE"),
        ("grant_type", "authorized_code"),
    ];
    assert_eq!(params, want.map(|(k, v)| (k.to_owned(), v.to_owned())).into());
    let refresh = client
        .token_url(auth::TOKEN_REFRESH, ("refresh_token", &code), "refresh_token")
        .unwrap();
    assert!(
        refresh
            .query()
            .unwrap_or_default()
            .ends_with("refresh_token=CODE&grant_type=refresh_token")
    );
}

#[tokio::test]
async fn a_failed_token_call_names_neither_the_secret_nor_the_code() {
    // A server that accepts and hangs up at once: reqwest's own error would print the whole URL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Not joined: if a call never connected, the test must still end.
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            drop(stream);
        }
    });
    let mut settings = settings("app", "SECRET-1234");
    settings.auth_base_url = format!("http://127.0.0.1:{port}");
    let client = TikTokShopClient::new(&settings).unwrap();
    let code = SecretString::from("CODE-5678".to_owned());
    let errors = [
        client.exchange_code(&code).await.unwrap_err(),
        client.refresh_token(&code).await.unwrap_err(),
    ];
    for err in errors {
        let text = format!("{err} {err:?}");
        assert!(matches!(err, TikTokShopError::Transport(_)), "{text}");
        for secret in ["SECRET-1234", "CODE-5678", "app_secret", "127.0.0.1"] {
            assert!(!text.contains(secret), "`{secret}` in {text}");
        }
    }
}

#[test]
fn order_details_are_asked_in_batches() {
    let ids: Vec<String> = (0..120).map(|i| format!("5764614130387{i:05}")).collect();
    let calls = orders::order_detail_calls(&ids, 50).unwrap();
    let sizes: Vec<usize> = calls.iter().map(|c| c.query[0].1.split(',').count()).collect();
    assert_eq!(sizes, [50, 50, 20]);
    assert!(
        calls
            .iter()
            .all(|c| c.path == orders::ORDER_DETAIL && c.query[0].0 == "ids")
    );
    assert!(orders::order_detail_calls(&["1/2".into()], 50).is_err());
}

#[test]
fn an_inventory_update_refuses_negative_stock_and_odd_ids() {
    use crate::marketplace::tiktok_shop::types::{SkuInventory, WarehouseStock};
    let sku = |quantity| SkuInventory {
        id: "1".into(),
        inventory: vec![WarehouseStock {
            warehouse_id: "w".into(),
            quantity,
        }],
    };
    let call = products::inventory_update("172959", &[sku(5)]).unwrap();
    assert_eq!(call.path, "/product/202309/products/172959/inventory/update");
    assert!(products::inventory_update("172959", &[sku(-1)]).is_err());
    assert!(products::inventory_update("../orders", &[sku(1)]).is_err());
}

#[tokio::test]
async fn paging_stops_at_an_empty_cursor_and_refuses_a_repeated_one() {
    let pages = |tokens: Vec<&'static str>| {
        let tokens = std::sync::Mutex::new(tokens.into_iter());
        collect_pages(move |_| {
            let token = tokens.lock().unwrap().next().unwrap_or_default();
            let body = format!(
                r#"{{"products":[{{"id":"{token}","create_time":1,"update_time":2}}],"next_page_token":"{token}"}}"#
            );
            async move { serde_json::from_str::<ProductPage>(&body).map_err(|e| TikTokShopError::Decode(e.to_string())) }
        })
    };
    let ids: Vec<String> = pages(vec!["a", "b", ""])
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.item.id)
        .collect();
    assert_eq!(ids, ["a", "b", ""]);
    assert!(matches!(pages(vec!["a", "a"]).await, Err(TikTokShopError::Decode(_))));
}

#[test]
fn the_client_verifies_webhooks_for_its_app() {
    let client = client("abcdef", "123");
    let secret = SecretString::from("123".to_owned());
    let body = br#"{"type":1,"shop_id":"7"}"#;
    let header = crate::marketplace::tiktok_shop::sign::webhook_signature("abcdef", &secret, body);
    assert!(client.verify_webhook(body, &header));
    assert!(!client.verify_webhook(br#"{"type":1,"shop_id":"8"}"#, &header));
}

#[test]
fn a_client_needs_an_app() {
    assert!(TikTokShopClient::new(&settings("", "")).is_err());
}

#[test]
fn an_inventory_search_names_its_products_in_the_body() {
    let call = products::inventory_search(&["1".into(), "2".into()]).unwrap();
    assert_eq!(call.path, "/product/202309/inventory/search");
    assert_eq!(call.body.as_deref(), Some(&br#"{"product_ids":["1","2"]}"#[..]));
    assert!(products::inventory_search(&[]).is_err());
    assert!(products::inventory_search(&["1/2".into()]).is_err());
}

#[test]
fn the_adaptive_key_names_the_endpoint_without_ids() {
    let detail = |id: &str| ApiCall::get(ApiEndpoint::ProductDetail, format!("/product/202309/products/{id}"));
    let (a, b) = (detail("1729"), detail("1730"));
    let key = |call: &ApiCall, cipher| FleetLimit::key("app", cipher, call.endpoint);
    assert_eq!(key(&a, Some("GCP_cipher")), key(&b, Some("GCP_cipher")));
    assert_eq!(
        key(&a, Some("GCP_cipher")),
        AdaptiveKey::new("app", "GCP_cipher", "product-detail")
    );
    assert_ne!(key(&a, Some("GCP_cipher")), key(&a, Some("GCP_other")));
    let shops = ApiCall::get(ApiEndpoint::AuthorizedShops, auth::AUTHORIZED_SHOPS);
    assert_eq!(key(&shops, None), AdaptiveKey::new("app", "app", "authorized-shops"));
    assert_eq!(key(&a, Some("a:b")).shop, "a_b", "no `:` inside a key part");
}

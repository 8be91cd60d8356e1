//! Consent pages, code exchange, refresh, expiry and revocation.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::client::*;
use crate::helpers::start;

#[tokio::test]
async fn consent_redirects_with_a_single_use_code_and_the_state() {
    let h = start(world()).await;
    let redirect = h
        .consent(
            "/oauth/authorize",
            &[("app_key", APP_KEY), ("state", "a b+c/d"), ("redirect_uri", CALLBACK)],
        )
        .await;
    assert_eq!(redirect.path(), "/tiktok-shop/callback");
    assert_eq!(query_value(&redirect, "from").as_deref(), Some("sim"));
    assert_eq!(query_value(&redirect, "state").as_deref(), Some("a b+c/d"));
    let code = query_value(&redirect, "code").expect("code");

    let now = h.tts().now();
    let (status, body) = h.exchange(&code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], 0);
    let data = &body["data"];
    // Absolute unix times, on the world clock.
    assert_eq!(data["access_token_expire_in"], now + ACCESS_TTL);
    assert_eq!(data["refresh_token_expire_in"], now + REFRESH_TTL);
    assert_eq!(data["seller_base_region"], "ID");
    assert_eq!(data["seller_name"], "Fashion Store Bandung");
    assert!(data["open_id"].is_string());

    let (status, again) = h.exchange(&code).await;
    assert_eq!((status, code_of(&again)), (StatusCode::BAD_REQUEST, 36_004_004));
    assert_eq!(again["message"], "Invalid auth code.");

    // The registered redirect URI serves when the request names none, and the
    // service_id page knows the app too.
    let other = h
        .consent("/oauth/authorize", &[("app_key", OTHER_APP_KEY), ("state", "x")])
        .await;
    assert!(other.as_str().starts_with(CALLBACK), "{other}");
    let by_service = h
        .consent(
            "/open/authorize",
            &[("service_id", SERVICE_ID), ("state", "y"), ("redirect_uri", CALLBACK)],
        )
        .await;
    assert!(query_value(&by_service, "code").is_some());
    assert_eq!(h.tts().stats().codes_issued, 3);
}

#[tokio::test]
async fn expired_codes_wrong_secrets_and_grant_types_are_refused() {
    let h = start(world()).await;
    let code = h.code(&[]).await;
    let mut query = vec![
        ("app_key", APP_KEY),
        ("app_secret", "wrong"),
        ("auth_code", code.as_str()),
        ("grant_type", "authorized_code"),
    ];
    let (status, body) = h.auth_get("/api/v2/token/get", &query).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, 36_009_004));
    query[1].1 = APP_SECRET;
    query[3].1 = "authorization_code";
    let (_, body) = h.auth_get("/api/v2/token/get", &query).await;
    assert_eq!(code_of(&body), 36_009_004, "the grant type is `authorized_code`");

    h.tts().advance_clock(CODE_TTL as u64);
    let (status, body) = h.exchange(&code).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 36_004_004));

    let fresh = h.code(&[]).await;
    h.tts().advance_clock(CODE_TTL as u64 - 1);
    assert_eq!(h.exchange(&fresh).await.0, StatusCode::OK);
}

#[tokio::test]
async fn consent_can_be_refused() {
    let h = start(world()).await;
    let base = [("app_key", APP_KEY), ("state", "s9"), ("redirect_uri", CALLBACK)];
    let mut flagged = base.to_vec();
    flagged.push(("sim_consent", "refuse"));
    let refused = h.consent("/oauth/authorize", &flagged).await;
    assert_eq!(query_value(&refused, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_value(&refused, "state").as_deref(), Some("s9"));
    assert!(query_value(&refused, "code").is_none());

    let (status, _) = h
        .control(Method::PUT, "/consent", &json!({"app_key": APP_KEY, "refuse": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let refused = h.consent("/oauth/authorize", &base).await;
    assert_eq!(query_value(&refused, "error").as_deref(), Some("access_denied"));
    let other = h
        .consent("/oauth/authorize", &[("app_key", OTHER_APP_KEY), ("state", "x")])
        .await;
    assert!(query_value(&other, "code").is_some(), "only the demo app refuses");

    h.control(Method::PUT, "/consent", &json!({"refuse": false})).await;
    let granted = h.consent("/oauth/authorize", &base).await;
    assert!(query_value(&granted, "code").is_some());
    assert_eq!(h.tts().stats().consents_refused, 2);

    let (status, _) = h
        .control(Method::PUT, "/consent", &json!({"app_key": "nope", "refuse": true}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_expire_on_the_world_clock_and_refresh_rotates() {
    let h = start(world()).await;
    let first = h.authorize(&[]).await;
    let shops = || h.api(Method::GET, "/authorization/202309/shops");
    assert_eq!(shops().token(&first.access).send().await.0, StatusCode::OK);

    h.tts().advance_clock(ACCESS_TTL as u64);
    let (status, _, body) = shops().token(&first.access).send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, 105_002));

    let now = h.tts().now();
    let (status, body) = h.refresh(&first.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = tokens(body);
    assert_ne!(second.refresh, first.refresh, "the refresh token rotates");
    assert_eq!(second.body["data"]["access_token_expire_in"], now + ACCESS_TTL);
    assert_eq!(second.body["data"]["refresh_token_expire_in"], now + REFRESH_TTL);
    assert_eq!(shops().token(&second.access).send().await.0, StatusCode::OK);

    let (status, body) = h.refresh(&first.refresh).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 36_004_004));

    // Expiry on demand, without moving the clock.
    let (_, body) = h
        .control(Method::POST, "/tokens/expire", &json!({"shop_id": BANDUNG}))
        .await;
    assert_eq!(body["tokens_expired"], 1);
    let (_, _, body) = shops().token(&second.access).send().await;
    assert_eq!(code_of(&body), 105_002);
    let (status, body) = h.refresh(&second.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    h.control(Method::POST, "/tokens/expire", &json!({"refresh": true}))
        .await;
    let third = tokens(body);
    assert_eq!(code_of(&h.refresh(&third.refresh).await.1), 36_004_004);
    assert_eq!(h.tts().stats().refreshes, 2);
}

#[tokio::test]
async fn refresh_can_keep_the_refresh_token() {
    let mut config = world();
    config.tiktok_shop.rotate_refresh_token = false;
    let h = start(config).await;
    let first = h.authorize(&[]).await;
    h.tts().advance_clock(60);
    let (status, body) = h.refresh(&first.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["refresh_token"], first.refresh.as_str());
    assert_eq!(
        body["data"]["refresh_token_expire_in"],
        first.body["data"]["refresh_token_expire_in"]
    );
}

#[tokio::test]
async fn a_revoked_shop_answers_105001_until_the_seller_consents_again() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let listed = |body: &serde_json::Value| -> Vec<String> {
        body["data"]["shops"]
            .as_array()
            .expect("shops")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let shops = || h.api(Method::GET, "/authorization/202309/shops").token(&tokens.access);
    let (_, _, body) = shops().send().await;
    assert_eq!(listed(&body), [BANDUNG.to_string(), MEDAN.to_string()]);
    let warehouses = |shop: u64| h.shop_api(Method::GET, "/logistics/202309/warehouses", &tokens.access, shop);

    let (status, body) = h
        .control(Method::POST, &format!("/shops/{BANDUNG}/revoke"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["grants_revoked"], 1);
    let (status, _, body) = warehouses(BANDUNG).send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, 105_001));
    assert_eq!(warehouses(MEDAN).send().await.0, StatusCode::OK);
    let (_, _, body) = shops().send().await;
    assert_eq!(listed(&body), [MEDAN.to_string()]);

    h.tts().revoke(MEDAN, Some(APP_KEY));
    let (_, _, body) = shops().send().await;
    assert_eq!(code_of(&body), 105_001);
    let (status, body) = h.refresh(&tokens.refresh).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, 105_001));

    let again = h.authorize(&[("shop_id", &BANDUNG.to_string())]).await;
    let (status, _, body) = h
        .api(Method::GET, "/authorization/202309/shops")
        .token(&again.access)
        .send()
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&body), [BANDUNG.to_string()]);
}

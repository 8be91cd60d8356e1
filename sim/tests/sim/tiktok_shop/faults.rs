//! Faults and arrivals a test sets on a shop: its failure rate, an outage of
//! one endpoint after some calls, a withdrawn scope, and an order placed now.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::client::*;
use crate::helpers::start;

const WAREHOUSES: &str = "/logistics/202309/warehouses";
const ORDER_SEARCH: &str = "/order/202309/orders/search";

/// Status and code of a call for `shop` with `token`.
async fn ask(h: &crate::helpers::Harness, path: &str, token: &str, shop: u64) -> (StatusCode, u64) {
    let method = if path == ORDER_SEARCH {
        Method::POST
    } else {
        Method::GET
    };
    let mut call = h.shop_api(method, path, token, shop);
    if path == ORDER_SEARCH {
        call = call.query("page_size", 10).json(&json!({}));
    }
    let (status, _, body) = call.send().await;
    (status, code_of(&body))
}

#[tokio::test]
async fn a_failing_shop_and_a_planned_outage_answer_internal_errors() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let failed = (StatusCode::INTERNAL_SERVER_ERROR, 36_009_003);
    let fine = (StatusCode::OK, 0);

    assert!(h.tts().set_failure_rate(BANDUNG, 1.0));
    assert!(!h.tts().set_failure_rate(1, 1.0), "unknown shop");
    assert_eq!(ask(&h, WAREHOUSES, &tokens.access, BANDUNG).await, failed);
    assert_eq!(ask(&h, WAREHOUSES, &tokens.access, MEDAN).await, fine, "only that shop");
    assert!(h.tts().set_failure_rate(BANDUNG, 0.0));
    assert_eq!(ask(&h, WAREHOUSES, &tokens.access, BANDUNG).await, fine);

    // Two more order searches go through, then the endpoint is down for the shop.
    assert!(h.tts().fail_endpoint_after(BANDUNG, "order-search", 2));
    assert!(!h.tts().fail_endpoint_after(BANDUNG, "no-such-endpoint", 2));
    assert!(!h.tts().fail_endpoint_after(1, "order-search", 2));
    for _ in 0..2 {
        assert_eq!(ask(&h, ORDER_SEARCH, &tokens.access, BANDUNG).await, fine);
    }
    for _ in 0..2 {
        assert_eq!(ask(&h, ORDER_SEARCH, &tokens.access, BANDUNG).await, failed);
    }
    assert_eq!(
        ask(&h, WAREHOUSES, &tokens.access, BANDUNG).await,
        fine,
        "other endpoints work"
    );
    assert_eq!(
        ask(&h, ORDER_SEARCH, &tokens.access, MEDAN).await,
        fine,
        "other shops too"
    );
    h.tts().end_outages();
    assert_eq!(ask(&h, ORDER_SEARCH, &tokens.access, BANDUNG).await, fine);
}

#[tokio::test]
async fn a_withdrawn_scope_refuses_the_shops_calls_until_the_seller_consents_again() {
    let h = start(world()).await;
    let old = h.authorize(&[]).await;
    assert_eq!(h.tts().withdraw_scope(BANDUNG, Some(OTHER_APP_KEY)), 0);
    assert_eq!(h.tts().withdraw_scope(BANDUNG, None), 1);

    let denied = (StatusCode::FORBIDDEN, 105_005);
    assert_eq!(ask(&h, WAREHOUSES, &old.access, BANDUNG).await, denied);
    assert_eq!(ask(&h, WAREHOUSES, &old.access, MEDAN).await, (StatusCode::OK, 0));
    let shops = h.api(Method::GET, "/authorization/202309/shops").token(&old.access);
    assert_eq!(code_of(&shops.send().await.2), 0, "the shop is still authorized");
    // A refreshed token belongs to the same grant.
    let refreshed = tokens(h.refresh(&old.refresh).await.1);
    assert_eq!(ask(&h, WAREHOUSES, &refreshed.access, BANDUNG).await, denied);

    let new = h.authorize(&[]).await;
    assert_eq!(ask(&h, WAREHOUSES, &new.access, BANDUNG).await, (StatusCode::OK, 0));
}

#[tokio::test]
async fn a_placed_order_exists_now_and_shows_in_an_update_time_window() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let before = h.tts().order_ids(BANDUNG);
    let now = h.tts().now();

    let first = h.tts().place_order(BANDUNG).expect("an arrival to bring forward");
    let second = h.tts().place_order(BANDUNG).expect("another one");
    assert_ne!(first, second);
    assert!(!before.contains(&first));
    assert_eq!(h.tts().order_state(BANDUNG, first), Some(("UNPAID".to_owned(), now)));
    let after = h.tts().order_ids(BANDUNG);
    assert_eq!(after.len(), before.len() + 2);
    assert_eq!(&after[after.len() - 2..], &[first, second], "newest last");
    assert_eq!(h.tts().orders_updated(BANDUNG, now, now + 1), vec![first, second]);
    assert_eq!(h.tts().place_order(1), None, "unknown shop");

    let window = json!({"update_time_ge": now, "update_time_lt": now + 1});
    let call = h
        .shop_api(Method::POST, ORDER_SEARCH, &tokens.access, BANDUNG)
        .query("page_size", 10)
        .json(&window);
    let (status, _, body) = call.send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let found: Vec<&str> = body["data"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    assert!(found.contains(&first.to_string().as_str()), "{body}");
    assert!(found.contains(&second.to_string().as_str()), "{body}");
}

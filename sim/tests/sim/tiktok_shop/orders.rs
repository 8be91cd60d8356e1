//! Order search and detail on the world clock: paging, update-time windows,
//! status changes and arrivals.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::helpers::{DAY, Harness, start};

/// Every page of an order search: `(id, status, create_time, update_time)` in served order.
async fn search_all(
    h: &Harness,
    token: &str,
    sort: (&str, &str),
    page_size: usize,
    filter: &Value,
) -> Vec<(u64, String, i64, i64)> {
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut call = h
            .shop_api(Method::POST, "/order/202309/orders/search", token, BANDUNG)
            .query("page_size", page_size)
            .query("sort_field", sort.0)
            .query("sort_order", sort.1)
            .json(filter);
        if !page_token.is_empty() {
            call = call.query("page_token", &page_token);
        }
        let (status, _, body) = call.send().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        for order in data["orders"].as_array().expect("orders") {
            seen.push((
                order["id"].as_str().expect("string id").parse().expect("numeric id"),
                order["status"].as_str().expect("status").to_owned(),
                order["create_time"].as_i64().expect("create_time"),
                order["update_time"].as_i64().expect("update_time"),
            ));
        }
        page_token = data["next_page_token"].as_str().expect("token").to_owned();
        if page_token.is_empty() {
            assert_eq!(
                data["total_count"].as_u64(),
                Some(seen.len() as u64),
                "the last page ends the count"
            );
            return seen;
        }
    }
}

fn ids(orders: &[(u64, String, i64, i64)]) -> Vec<u64> {
    orders.iter().map(|o| o.0).collect()
}

#[tokio::test]
async fn cursor_paging_serves_every_order_exactly_once_in_either_order() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let existing = h.tts().order_ids(BANDUNG);
    assert_eq!(existing.len(), 600, "the history; arrivals come later");

    let newest_first = search_all(&h, &tokens.access, ("create_time", "DESC"), 50, &json!({})).await;
    let mut expected = existing.clone();
    expected.reverse();
    assert_eq!(ids(&newest_first), expected);
    assert!(newest_first.windows(2).all(|w| (w[0].2, w[0].0) > (w[1].2, w[1].0)));

    let by_update = search_all(&h, &tokens.access, ("update_time", "ASC"), 33, &json!({})).await;
    assert!(by_update.windows(2).all(|w| (w[0].3, w[0].0) < (w[1].3, w[1].0)));
    let distinct: HashSet<u64> = ids(&by_update).into_iter().collect();
    assert_eq!(distinct.len(), 600);
    assert_eq!(distinct, existing.iter().copied().collect());

    // A token is only good for the sort it was made in.
    let (_, _, body) = h
        .shop_api(Method::POST, "/order/202309/orders/search", &tokens.access, BANDUNG)
        .query("page_size", 5)
        .json(&json!({}))
        .send()
        .await;
    let token_desc = body["data"]["next_page_token"].as_str().expect("token").to_owned();
    let (status, _, body) = h
        .shop_api(Method::POST, "/order/202309/orders/search", &tokens.access, BANDUNG)
        .query("page_size", 5)
        .query("sort_order", "ASC")
        .query("page_token", &token_desc)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 36_009_004));
}

#[tokio::test]
async fn status_changes_and_arrivals_show_in_update_time_windows() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let t0 = h.tts().now();
    let awaiting = search_all(
        &h,
        &tokens.access,
        ("create_time", "ASC"),
        100,
        &json!({"order_status": "AWAITING_SHIPMENT"}),
    )
    .await;
    assert!(!awaiting.is_empty(), "recent orders wait for shipment");
    assert!(awaiting.iter().all(|o| o.1 == "AWAITING_SHIPMENT"));

    let t1 = h.tts().advance_clock(DAY as u64);
    // The access token expired meanwhile.
    let tokens = super::client::tokens(h.refresh(&tokens.refresh).await.1);
    let window = json!({"update_time_ge": t0 + 1, "update_time_lt": t1 + 1});
    let changed = search_all(&h, &tokens.access, ("update_time", "ASC"), 100, &window).await;
    let mut expected = h.tts().orders_updated(BANDUNG, t0 + 1, t1 + 1);
    let mut got = ids(&changed);
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert!(changed.iter().all(|o| (t0 < o.3) && (o.3 <= t1)));
    assert!(changed.iter().any(|o| o.2 > t0), "new orders arrived");
    let moved: Vec<u64> = awaiting
        .iter()
        .filter(|o| {
            h.tts()
                .order_state(BANDUNG, o.0)
                .is_some_and(|(s, _)| s != "AWAITING_SHIPMENT")
        })
        .map(|o| o.0)
        .collect();
    assert!(!moved.is_empty(), "a day later some have shipped");
    assert!(moved.iter().all(|id| got.contains(id)));
    assert_eq!(
        h.tts().order_ids(BANDUNG).len(),
        600 + changed.iter().filter(|o| o.2 > t0).count()
    );
}

#[tokio::test]
async fn an_order_moves_on_demand_and_detail_shows_it() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let now = h.tts().now();
    // The newest order awaiting shipment whose next step is handing it over
    // (a few are cancelled instead).
    let mut moved = None;
    for id in h.tts().order_ids(BANDUNG).into_iter().rev() {
        if h.tts()
            .order_state(BANDUNG, id)
            .is_none_or(|(s, _)| s != "AWAITING_SHIPMENT")
        {
            continue;
        }
        let (status, body) = h
            .control(
                Method::POST,
                &format!("/shops/{BANDUNG}/orders/{id}/advance"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["update_time"], now);
        if body["status"] == "AWAITING_COLLECTION" {
            moved = Some(id);
            break;
        }
        assert_eq!(body["status"], "CANCELLED");
    }
    let id = moved.expect("an order handed over");

    let recent = search_all(
        &h,
        &tokens.access,
        ("update_time", "DESC"),
        10,
        &json!({"update_time_ge": now, "order_status": "AWAITING_COLLECTION"}),
    )
    .await;
    assert!(ids(&recent).contains(&id));

    let detail = |ids: String| {
        h.shop_api(Method::GET, "/order/202309/orders", &tokens.access, BANDUNG)
            .query("ids", ids)
    };
    let (status, _, body) = detail(id.to_string()).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order = &body["data"]["orders"][0];
    assert_eq!(order["status"], "AWAITING_COLLECTION");
    assert_eq!(order["update_time"], now);
    assert_eq!(order["rts_time"], now);
    assert!(order["tracking_number"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(order["line_items"].as_array().is_some_and(|l| !l.is_empty()));

    // Moving it all the way, then no further.
    while h.tts().advance_order(BANDUNG, id).is_some() {}
    assert_eq!(
        h.tts().order_state(BANDUNG, id).map(|s| s.0).as_deref(),
        Some("COMPLETED")
    );
    let (status, _) = h
        .control(
            Method::POST,
            &format!("/shops/{BANDUNG}/orders/{id}/advance"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn order_detail_comes_in_batches_of_the_shops_orders() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let some: Vec<String> = h.tts().order_ids(BANDUNG)[..3].iter().map(u64::to_string).collect();
    let detail = |ids: String| {
        h.shop_api(Method::GET, "/order/202507/orders", &tokens.access, BANDUNG)
            .query("ids", ids)
    };
    let (status, _, body) = detail(some.join(",")).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got: Vec<&str> = body["data"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    assert_eq!(got, some);

    let medan = h.tts().order_ids(MEDAN)[0];
    let (status, _, body) = detail(format!("{},{medan}", some[0])).send().await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, 21_008_111));
    let many: Vec<String> = h.tts().order_ids(BANDUNG)[..51].iter().map(u64::to_string).collect();
    assert_eq!(code_of(&detail(many.join(",")).send().await.2), 36_009_004);
}

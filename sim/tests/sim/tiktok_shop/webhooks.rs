//! Webhooks: registration through the API, signed deliveries to a receiver
//! on an ephemeral port, retries on the world clock, and the delivery faults.
//!
//! Nothing here waits for a duration to pass: the world clock is frozen and
//! moved by the tests, and each test polls the receiver (or the delivery
//! log) for the state it expects, within a generous bound.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use ocean_sim::tiktok_shop::{DeliveryLog, RETRY_SCHEDULE_SECS, signing};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::helpers::{Harness, start};

/// How long a test waits for a state before failing.
const PATIENCE: Duration = Duration::from_secs(30);

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    authorization: String,
    raw: Bytes,
    body: Value,
}

impl Received {
    fn id(&self) -> &str {
        self.body["tts_notification_id"].as_str().expect("string id")
    }
}

/// An HTTP server standing in for the ERP's webhook endpoint; answers 200.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn record(State(received): State<Arc<Mutex<Vec<Received>>>>, headers: HeaderMap, raw: Bytes) -> AxumStatus {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    received.lock().expect("receiver lock").push(Received {
        authorization,
        raw,
        body,
    });
    AxumStatus::OK
}

impl Receiver {
    async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/hooks/tiktok", post(record))
            .with_state(Arc::clone(&received));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/tiktok", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("receiver lock").clone()
    }

    /// Waits until `done` holds for what was received, and returns it.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        poll(what, || self.received(), |r| done(r)).await
    }
}

/// Waits until `done` holds for the sim's delivery log, and returns it.
async fn wait_for_log(h: &Harness, what: &str, done: impl Fn(&DeliveryLog) -> bool) -> DeliveryLog {
    poll(what, || h.tts().webhook_log(), done).await
}

/// Reads `read` until `done` holds for it (deliveries run on their own task), failing after `PATIENCE`.
async fn poll<T: std::fmt::Debug>(what: &str, read: impl Fn() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let value = read();
        if done(&value) {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited for {what}; saw {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn of_order(received: &[Received], order_id: u64) -> Vec<&Received> {
    let id = order_id.to_string();
    received
        .iter()
        .filter(|r| r.body["type"] == 1 && r.body["data"]["order_id"] == id.as_str())
        .collect()
}

/// Orders of the shop that can still move, newest first.
fn movable_orders(h: &Harness, shop: u64, count: usize) -> Vec<u64> {
    let mut ids = h.tts().order_ids(shop);
    ids.reverse();
    let movable = ids.into_iter().filter(|&id| {
        h.tts()
            .order_state(shop, id)
            .is_some_and(|(status, _)| !matches!(status.as_str(), "COMPLETED" | "CANCELLED"))
    });
    let movable: Vec<u64> = movable.take(count).collect();
    assert_eq!(movable.len(), count, "enough orders still moving");
    movable
}

async fn subscribed(event_type: &str) -> (Harness, Receiver) {
    let h = start(world()).await;
    let receiver = Receiver::start().await;
    assert!(h.tts().subscribe_webhook(APP_KEY, BANDUNG, event_type, &receiver.url));
    (h, receiver)
}

#[test]
fn the_documented_webhook_vector_verifies() {
    // signing-vectors.json, vector 2 (the webhook overview's example).
    let raw = r#"{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507","timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178","order_status":"UNPAID","update_time":1718305585}}"#;
    assert_eq!(
        signing::webhook_signature("abcdef", "123", raw.as_bytes()),
        "5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05"
    );
}

#[tokio::test]
async fn registration_round_trips_per_shop_and_event_type() {
    let h = start(world()).await;
    let tokens = h.authorize(&[]).await;
    let call = |method: Method, shop: u64| h.shop_api(method, "/event/202309/webhooks", &tokens.access, shop);

    let (status, _, body) = call(Method::GET, BANDUNG).send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({"total_count": 0, "webhooks": []}));

    for (event_type, address) in [
        ("ORDER_STATUS_CHANGE", "https://erp.example/hooks/a"),
        ("SELLER_DEAUTHORIZATION", "https://erp.example/hooks/b"),
        ("ORDER_STATUS_CHANGE", "https://erp.example/hooks/c"),
    ] {
        let put = call(Method::PUT, BANDUNG).json(&json!({"address": address, "event_type": event_type}));
        let (status, _, body) = put.send().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["code"], 0);
    }
    let (_, _, body) = call(Method::GET, BANDUNG).send().await;
    assert_eq!(body["data"]["total_count"], 2);
    let webhooks = body["data"]["webhooks"].as_array().expect("webhooks");
    let pairs: Vec<(&str, &str)> = webhooks
        .iter()
        .map(|w| {
            (
                w["event_type"].as_str().expect("type"),
                w["address"].as_str().expect("address"),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("ORDER_STATUS_CHANGE", "https://erp.example/hooks/c"),
            ("SELLER_DEAUTHORIZATION", "https://erp.example/hooks/b"),
        ]
    );
    assert!(
        webhooks
            .iter()
            .all(|w| w["create_time"].is_i64() && w["update_time"].is_i64())
    );

    // Another shop of the same grant has its own addresses.
    let (_, _, body) = call(Method::GET, MEDAN).send().await;
    assert_eq!(body["data"]["total_count"], 0);

    let unknown = call(Method::PUT, BANDUNG).json(&json!({"address": "https://x.example", "event_type": "NOPE"}));
    let (status, _, body) = unknown.send().await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let delete = call(Method::DELETE, BANDUNG).json(&json!({"event_type": "ORDER_STATUS_CHANGE"}));
    let (status, _, body) = delete.send().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        h.tts().webhook_subscriptions(APP_KEY, BANDUNG),
        [(
            "SELLER_DEAUTHORIZATION".to_owned(),
            "https://erp.example/hooks/b".to_owned()
        )]
    );
}

#[tokio::test]
async fn an_advanced_order_sends_a_signed_status_change_to_the_registered_address() {
    let h = start(world()).await;
    let receiver = Receiver::start().await;
    let tokens = h.authorize(&[]).await;
    let put = h
        .shop_api(Method::PUT, "/event/202309/webhooks", &tokens.access, BANDUNG)
        .json(&json!({"address": receiver.url, "event_type": "ORDER_STATUS_CHANGE"}));
    let (status, _, body) = put.send().await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let order = movable_orders(&h, BANDUNG, 1)[0];
    let (status, update_time) = h.tts().advance_order(BANDUNG, order).expect("advanced");
    let received = receiver
        .wait_for("the status change", |r| !of_order(r, order).is_empty())
        .await;
    let hook = of_order(&received, order)[0];

    assert_eq!(
        hook.authorization,
        signing::webhook_signature(APP_KEY, APP_SECRET, &hook.raw),
        "signed with the app secret over app_key + raw body"
    );
    let keys: Vec<&str> = hook
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    assert_eq!(hook.body["type"], 1);
    assert_eq!(hook.body["shop_id"], BANDUNG.to_string());
    assert_eq!(hook.body["timestamp"], update_time);
    assert!(hook.id().len() >= 19 && hook.id().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        hook.body["data"],
        json!({
            "order_id": order.to_string(),
            "order_status": status,
            "is_on_hold_order": false,
            "update_time": update_time,
        })
    );
    // The raw body starts with the documented field order.
    assert!(hook.raw.starts_with(b"{\"type\":1,\"tts_notification_id\":"));

    let log = wait_for_log(&h, "the acknowledgment", |l| !l.delivered.is_empty()).await;
    assert_eq!(log.delivered[0].tts_notification_id, hook.id());
    assert_eq!(log.delivered[0].attempt, 1);
}

#[tokio::test]
async fn duplicate_mode_delivers_the_same_notification_twice() {
    let (h, receiver) = subscribed("ORDER_STATUS_CHANGE").await;
    h.tts().duplicate_webhooks(true);
    let order = movable_orders(&h, BANDUNG, 1)[0];
    h.tts().advance_order(BANDUNG, order).expect("advanced");

    let received = receiver.wait_for("two copies", |r| of_order(r, order).len() == 2).await;
    let copies = of_order(&received, order);
    assert_eq!(copies[0].id(), copies[1].id());
    assert_eq!(copies[0].raw, copies[1].raw);
}

#[tokio::test]
async fn a_dropped_delivery_is_retried_after_two_minutes_of_world_time() {
    let (h, receiver) = subscribed("ORDER_STATUS_CHANGE").await;
    h.tts().drop_webhooks(1);
    let order = movable_orders(&h, BANDUNG, 1)[0];
    h.tts().advance_order(BANDUNG, order).expect("advanced");

    let log = wait_for_log(&h, "the dropped attempt", |l| l.dropped == 1).await;
    let now = h.tts().now();
    let pending = &log.pending[0];
    assert_eq!(pending.attempts, 1);
    assert_eq!(pending.due, now + RETRY_SCHEDULE_SECS[0]);
    assert!(of_order(&receiver.received(), order).is_empty());

    // Not yet due a second before the retry.
    h.tts().advance_clock(119);
    let log = wait_for_log(&h, "nothing in flight", |l| l.pending.iter().all(|d| d.attempts == 1)).await;
    assert!(
        log.pending
            .iter()
            .any(|d| d.tts_notification_id == pending.tts_notification_id)
    );

    h.tts().advance_clock(2);
    let received = receiver.wait_for("the retry", |r| !of_order(r, order).is_empty()).await;
    assert_eq!(of_order(&received, order)[0].id(), pending.tts_notification_id);
    let log = wait_for_log(&h, "the acknowledged retry", |l| {
        l.delivered
            .iter()
            .any(|a| a.tts_notification_id == pending.tts_notification_id)
    })
    .await;
    let ack = log
        .delivered
        .iter()
        .find(|a| a.tts_notification_id == pending.tts_notification_id)
        .expect("acknowledged");
    assert_eq!(ack.attempt, 2);
}

#[tokio::test]
async fn reorder_mode_releases_held_deliveries_newest_first() {
    let (h, receiver) = subscribed("ORDER_STATUS_CHANGE").await;
    h.tts().reorder_webhooks(true);
    let orders = movable_orders(&h, BANDUNG, 3);
    for &order in &orders {
        h.tts().advance_order(BANDUNG, order).expect("advanced");
    }
    let log = h.tts().webhook_log();
    assert_eq!(log.held.len(), 3);
    assert!(receiver.received().is_empty(), "held, not sent");

    assert_eq!(h.tts().release_webhooks(), 3);
    let received = receiver.wait_for("the released three", |r| r.len() == 3).await;
    let arrived: Vec<String> = received
        .iter()
        .map(|r| r.body["data"]["order_id"].as_str().expect("order id").to_owned())
        .collect();
    let expected: Vec<String> = orders.iter().rev().map(u64::to_string).collect();
    assert_eq!(arrived, expected);
}

#[tokio::test]
async fn revocation_sends_seller_deauthorization() {
    let (h, receiver) = subscribed("SELLER_DEAUTHORIZATION").await;
    h.authorize(&[]).await;
    assert_eq!(h.tts().revoke(BANDUNG, None), 1);

    let received = receiver.wait_for("the deauthorization", |r| !r.is_empty()).await;
    let hook = &received[0];
    assert_eq!(
        hook.authorization,
        signing::webhook_signature(APP_KEY, APP_SECRET, &hook.raw)
    );
    assert_eq!(hook.body["type"], 6);
    assert_eq!(hook.body["shop_id"], BANDUNG.to_string());
    assert_eq!(
        hook.body["data"]["message"],
        format!("Shop_id {BANDUNG} is deauthorized from your APP by merchant.")
    );
}

#[tokio::test]
async fn orders_arriving_as_the_clock_passes_send_status_changes() {
    let (h, receiver) = subscribed("ORDER_STATUS_CHANGE").await;
    let before = h.tts().order_ids(BANDUNG).len();
    h.tts().advance_clock(86_400);
    let arrived: Vec<u64> = h.tts().order_ids(BANDUNG)[before..].to_vec();
    assert!(!arrived.is_empty(), "a day brings new orders");
    let received = receiver
        .wait_for("an UNPAID per new order", |r| {
            arrived.iter().all(|&id| {
                of_order(r, id)
                    .iter()
                    .any(|h| h.body["data"]["order_status"] == "UNPAID")
            })
        })
        .await;
    // Each arrival is announced once per step it reached.
    for &id in &arrived {
        let ids: Vec<&str> = of_order(&received, id).iter().map(|r| r.id()).collect();
        let mut distinct = ids.clone();
        distinct.dedup();
        assert_eq!(ids, distinct);
    }
}

#[tokio::test]
/// The platform sends no webhook for seller-warehouse stock (design notes §6), so neither does the sim:
/// after a stock write and then an order step, the order's notification is the first and only one (deliveries
/// go out in queue order).
async fn a_stock_write_sends_no_webhook() {
    let (h, receiver) = subscribed("PRODUCT_INFORMATION_CHANGE").await;
    assert!(
        h.tts()
            .subscribe_webhook(APP_KEY, BANDUNG, "ORDER_STATUS_CHANGE", &receiver.url)
    );
    let tokens = h.authorize(&[]).await;
    let product = h.tts().product_ids(BANDUNG)[0];
    let stock = h.tts().stock(BANDUNG, product);
    let inventory: Vec<Value> = stock
        .iter()
        .map(|&(w, q)| json!({"warehouse_id": w.to_string(), "quantity": q + 1}))
        .collect();
    let sku = h
        .shop_api(
            Method::POST,
            "/product/202309/inventory/search",
            &tokens.access,
            BANDUNG,
        )
        .json(&json!({"product_ids": [product.to_string()]}))
        .send()
        .await
        .2["data"]["inventory"][0]["skus"][0]["id"]
        .as_str()
        .expect("sku id")
        .to_owned();
    let (status, _, body) = h
        .shop_api(
            Method::POST,
            &format!("/product/202309/products/{product}/inventory/update"),
            &tokens.access,
            BANDUNG,
        )
        .json(&json!({"skus": [{"id": sku, "inventory": inventory}]}))
        .send()
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let order = movable_orders(&h, BANDUNG, 1)[0];
    h.tts().advance_order(BANDUNG, order).expect("advanced");

    let received = receiver
        .wait_for("the order step", |r| !of_order(r, order).is_empty())
        .await;
    let types: Vec<&Value> = received.iter().map(|r| &r.body["type"]).collect();
    assert_eq!(types, [&json!(1)], "only the order's notification: {types:?}");
}

#[tokio::test]
async fn the_faults_and_the_log_are_served_over_http_too() {
    let (h, receiver) = subscribed("ORDER_STATUS_CHANGE").await;
    let (status, faults) = h
        .control(
            Method::PUT,
            "/webhooks/faults",
            &json!({"reorder": true, "drop_next": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{faults}");
    assert_eq!(faults, json!({"drop_next": 0, "duplicate": false, "reorder": true}));

    let orders = movable_orders(&h, BANDUNG, 2);
    for &order in &orders {
        let path = format!("/shops/{BANDUNG}/orders/{order}/advance");
        assert_eq!(h.control(Method::POST, &path, &json!({})).await.0, StatusCode::OK);
    }
    let (_, log) = h.control(Method::GET, "/webhooks/deliveries", &json!({})).await;
    assert_eq!(log["held"].as_array().map(Vec::len), Some(2), "{log}");

    let (_, released) = h.control(Method::POST, "/webhooks/release", &json!({})).await;
    assert_eq!(released, json!({"released": 2}));
    receiver.wait_for("the released two", |r| r.len() == 2).await;
    let log = wait_for_log(&h, "both acknowledged", |l| l.delivered.len() == 2).await;
    assert!(log.pending.is_empty() && log.held.is_empty() && log.failed.is_empty());
}

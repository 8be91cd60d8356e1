//! `/sim/tiktok-shop/*`: runtime controls of the TikTok Shop hosts for tests
//! and the bench (not part of the platform). Plain JSON; errors are
//! `{"error": "..."}`. Each wraps a [`Controls`](crate::tiktok_shop::Controls) method.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::Sim;
use crate::routes::control::{body, error, update_rate_limit};
use crate::tiktok_shop::{Endpoint, Faults};

pub(super) fn router() -> Router<Sim> {
    Router::new()
        .route("/stats", get(stats))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/consent", put(consent))
        .route("/shops/{shop_id}/revoke", post(revoke))
        .route("/tokens/expire", post(expire_tokens))
        .route("/shops/{shop_id}/orders/{order_id}/advance", post(advance_order))
        .route("/rate-limit", put(rate_limit))
        .route("/webhooks/deliveries", get(webhook_deliveries))
        .route("/webhooks/faults", get(webhook_faults).put(set_webhook_faults))
        .route("/webhooks/release", post(release_webhooks))
}

async fn stats(State(sim): State<Sim>) -> Response {
    Json(sim.tiktok_shop().stats()).into_response()
}

fn clock_json(sim: &Sim) -> Response {
    let controls = sim.tiktok_shop();
    Json(json!({"now": controls.now(), "frozen": controls.clock_frozen()})).into_response()
}

async fn clock(State(sim): State<Sim>) -> Response {
    clock_json(&sim)
}

#[derive(Debug, Deserialize)]
struct Advance {
    secs: u64,
}

/// `{"secs": N}`: moves the world clock forward; answers the new time.
async fn advance_clock(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let advance: Advance = match body(&bytes) {
        Ok(advance) => advance,
        Err(response) => return *response,
    };
    sim.tiktok_shop().advance_clock(advance.secs);
    clock_json(&sim)
}

#[derive(Debug, Deserialize)]
struct Consent {
    #[serde(default)]
    app_key: Option<String>,
    refuse: bool,
}

/// `{"refuse": true[, "app_key": "…"]}`: consent pages refuse (or grant again).
async fn consent(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let consent: Consent = match body(&bytes) {
        Ok(consent) => consent,
        Err(response) => return *response,
    };
    if !sim
        .tiktok_shop()
        .refuse_consent(consent.app_key.as_deref(), consent.refuse)
    {
        return error(StatusCode::NOT_FOUND, "unknown app_key");
    }
    Json(json!({"app_key": consent.app_key, "refuse": consent.refuse})).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Revoke {
    #[serde(default)]
    app_key: Option<String>,
}

/// Optional `{"app_key": "…"}`: the seller revokes the shop's authorization.
async fn revoke(State(sim): State<Sim>, Path(shop_id): Path<u64>, bytes: Bytes) -> Response {
    let revoke: Revoke = match optional_body(&bytes) {
        Ok(revoke) => revoke,
        Err(response) => return *response,
    };
    let grants = sim.tiktok_shop().revoke(shop_id, revoke.app_key.as_deref());
    Json(json!({"shop_id": shop_id.to_string(), "grants_revoked": grants})).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Expire {
    #[serde(default)]
    shop_id: Option<u64>,
    #[serde(default)]
    refresh: bool,
}

/// Optional `{"shop_id": N, "refresh": true}`: expires tokens now (105002).
async fn expire_tokens(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let expire: Expire = match optional_body(&bytes) {
        Ok(expire) => expire,
        Err(response) => return *response,
    };
    let tokens = sim.tiktok_shop().expire_tokens(expire.shop_id, expire.refresh);
    Json(json!({"tokens_expired": tokens})).into_response()
}

/// Moves the order to its next status at the current world time.
async fn advance_order(State(sim): State<Sim>, Path((shop_id, order_id)): Path<(u64, u64)>) -> Response {
    match sim.tiktok_shop().advance_order(shop_id, order_id) {
        Some((status, update_time)) => Json(json!({
            "id": order_id.to_string(),
            "status": status,
            "update_time": update_time,
        }))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no such order now, or it has no status left to reach",
        ),
    }
}

/// `{"endpoint"?: name, "rate_per_sec", "burst"}`: changes a hidden limit.
async fn rate_limit(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let known: Vec<&str> = Endpoint::ALL.iter().map(|e| e.name()).collect();
    update_rate_limit(&bytes, &known, |endpoint, limit| {
        sim.tiktok_shop().set_rate_limit(endpoint, limit)
    })
}

/// `{delivered, pending, held, failed, dropped}`: what became of every webhook.
async fn webhook_deliveries(State(sim): State<Sim>) -> Response {
    Json(sim.tiktok_shop().webhook_log()).into_response()
}

async fn webhook_faults(State(sim): State<Sim>) -> Response {
    Json(sim.tiktok_shop().webhook_faults()).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct FaultChange {
    #[serde(default)]
    drop_next: Option<u32>,
    #[serde(default)]
    duplicate: Option<bool>,
    #[serde(default)]
    reorder: Option<bool>,
}

/// `{"drop_next"?: N, "duplicate"?: bool, "reorder"?: bool}`: changes the
/// given faults; answers all of them.
async fn set_webhook_faults(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let change: FaultChange = match body(&bytes) {
        Ok(change) => change,
        Err(response) => return *response,
    };
    let controls = sim.tiktok_shop();
    let now = controls.webhook_faults();
    let faults = Faults {
        drop_next: change.drop_next.unwrap_or(now.drop_next),
        duplicate: change.duplicate.unwrap_or(now.duplicate),
        reorder: change.reorder.unwrap_or(now.reorder),
    };
    controls.set_webhook_faults(faults);
    Json(faults).into_response()
}

/// Sends the deliveries the reorder fault holds, newest first.
async fn release_webhooks(State(sim): State<Sim>) -> Response {
    Json(json!({"released": sim.tiktok_shop().release_webhooks()})).into_response()
}

/// Like [`body`], but an empty body means every field's default.
fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, Box<Response>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        body(bytes)
    }
}

//! `/sim/*`: runtime controls for tests and demos (not part of Tokopedia).
//! Answers are plain JSON; errors are `{"error": "..."}`. The TikTok Shop
//! controls are nested at `/sim/tiktok-shop`.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::config::{AppConfig, RateLimit};
use crate::{Endpoint, Sim};

pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route("/stats", get(stats))
        .route("/apps", post(add_app))
        .route("/shops/{shop_id}", put(update_shop))
        .route("/shops/{shop_id}/products/{product_id}", get(product))
        .route("/rate-limit", put(rate_limit))
        .route("/tokens/expire", post(expire_tokens))
        .nest("/tiktok-shop", crate::tiktok_shop::control_router())
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// Parses a JSON body; the error is the 400 answer.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(bytes).map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, format!("invalid body: {e}"))))
}

async fn stats(State(sim): State<Sim>) -> Response {
    Json(sim.stats()).into_response()
}

async fn add_app(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let app: AppConfig = match body(&bytes) {
        Ok(app) => app,
        Err(response) => return *response,
    };
    let summary = json!({
        "fs_id": app.fs_id,
        "shops": app.shops.iter().map(|s| s.shop_id).collect::<Vec<_>>(),
    });
    tracing::info!(fs_id = app.fs_id, shops = app.shops.len(), "app added");
    sim.add_app(app);
    (StatusCode::CREATED, Json(summary)).into_response()
}

#[derive(Debug, Deserialize)]
struct ShopUpdate {
    failure_rate: Option<f64>,
    latency_ms: Option<u64>,
}

async fn update_shop(State(sim): State<Sim>, Path(shop_id): Path<u64>, bytes: Bytes) -> Response {
    let update: ShopUpdate = match body(&bytes) {
        Ok(update) => update,
        Err(response) => return *response,
    };
    if let Some(rate) = update.failure_rate
        && !(0.0..=1.0).contains(&rate)
    {
        return error(StatusCode::BAD_REQUEST, "failure_rate must be within 0..=1");
    }
    // Check first so an unknown shop changes nothing.
    if !sim.lock().registry.shops.contains_key(&shop_id) {
        return error(StatusCode::NOT_FOUND, format!("unknown shop {shop_id}"));
    }
    if let Some(rate) = update.failure_rate {
        sim.set_failure_rate(shop_id, rate);
    }
    if let Some(ms) = update.latency_ms {
        sim.set_latency(shop_id, Duration::from_millis(ms));
    }
    let state = sim.lock();
    match state.registry.shops.get(&shop_id) {
        Some(shop) => Json(json!({
            "shop_id": shop_id,
            "failure_rate": shop.config.failure_rate,
            "latency_ms": shop.config.latency_ms,
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, format!("unknown shop {shop_id}")),
    }
}

async fn product(State(sim): State<Sim>, Path((shop_id, product_id)): Path<(u64, u64)>) -> Response {
    match sim.product(shop_id, product_id) {
        Some(product) => Json(product).into_response(),
        None => error(StatusCode::NOT_FOUND, "unknown product"),
    }
}

async fn rate_limit(State(sim): State<Sim>, bytes: Bytes) -> Response {
    let known: Vec<&str> = Endpoint::ALL.iter().map(|e| e.name()).collect();
    update_rate_limit(&bytes, &known, |endpoint, limit| sim.set_rate_limit(endpoint, limit))
}

#[derive(Debug, Deserialize)]
struct RateLimitUpdate {
    #[serde(default)]
    endpoint: Option<String>,
    rate_per_sec: f64,
    burst: u32,
}

/// `{"endpoint"?: name, "rate_per_sec", "burst"}`: validates the new limit and
/// hands it to `set`, which refuses names not in `known`.
pub(crate) fn update_rate_limit(
    bytes: &[u8],
    known: &[&str],
    set: impl FnOnce(Option<&str>, RateLimit) -> bool,
) -> Response {
    let update: RateLimitUpdate = match body(bytes) {
        Ok(update) => update,
        Err(response) => return *response,
    };
    if !(update.rate_per_sec.is_finite() && update.rate_per_sec > 0.0) {
        return error(StatusCode::BAD_REQUEST, "rate_per_sec must be a positive number");
    }
    let limit = RateLimit {
        rate_per_sec: update.rate_per_sec,
        burst: update.burst,
    };
    if !set(update.endpoint.as_deref(), limit) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown endpoint; expected one of {}", known.join(", ")),
        );
    }
    Json(json!({"endpoint": update.endpoint, "rate_per_sec": limit.rate_per_sec, "burst": limit.burst})).into_response()
}

async fn expire_tokens(State(sim): State<Sim>) -> StatusCode {
    sim.expire_tokens();
    StatusCode::NO_CONTENT
}

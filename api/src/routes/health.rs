//! Probes. `/healthz` is liveness and touches nothing; `/readyz` checks Postgres and Redis.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
}

async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let postgres = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let redis = state.queue.ping().await.is_ok();
    let status = |up: bool| if up { "ok" } else { "unavailable" };
    let code = if postgres && redis {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({ "postgres": status(postgres), "redis": status(redis) })),
    )
}

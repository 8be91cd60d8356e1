//! Probes and the API document. `/healthz` is liveness and touches nothing; `/readyz` checks Postgres
//! and Redis.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live)).routes(routes!(ready))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Live {
    /// Always `ok`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ok` or `unavailable`.
    pub postgres: String,
    /// `ok` or `unavailable`.
    pub redis: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(), responses((status = 200, body = Live)))]
pub async fn live() -> Json<Live> {
    Json(Live { status: "ok".into() })
}

/// Readiness: Postgres and Redis answer.
#[utoipa::path(get, path = "/readyz", tag = "health", security(),
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let postgres = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let redis = state.queue.ping().await.is_ok();
    let status = |up: bool| if up { "ok" } else { "unavailable" }.to_owned();
    let code = if postgres && redis {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Ready {
            postgres: status(postgres),
            redis: status(redis),
        }),
    )
}

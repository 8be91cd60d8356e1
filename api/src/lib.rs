//! The Ocean Sync HTTP API: account management, access control and sync triggers for integrators, behind
//! bearer tokens, answering in the `{success, data}` envelope and describing itself at
//! `/api/openapi.json`; and the web console over it at `/`.

pub mod access;
pub mod auth;
pub mod commands;
pub mod console;
pub mod error;
pub mod openapi;
pub mod path_params;
pub mod query;
pub mod routes;
pub mod validation;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{Extension, Json, Router};
use clap::Args;
use ocean_shared::{
    config::MarketplaceSettings, crypto::Keyring, marketplace::TokopediaClient, monitoring, queue::SyncQueue,
};
use sqlx::PgPool;
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

/// HTTP listener settings.
#[derive(Args, Debug, Clone)]
pub struct ApiSettings {
    /// Address the API listens on.
    #[arg(long = "addr", env = "OCEAN_API_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Token of the bootstrap global admin user `admin`; set it to create that user or reset its token.
    #[arg(long = "admin-token", env = "OCEAN_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<secrecy::SecretString>,
    /// With the platform setting "sync all accounts simultaneously" off, sync-all lets the accounts come
    /// due one after another, at most a second apart, within this many seconds.
    #[arg(
        long = "sync-all-spread-secs",
        env = "OCEAN_SYNC_ALL_SPREAD_SECS",
        default_value_t = 60
    )]
    pub sync_all_spread_secs: u64,
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub queue: SyncQueue,
    pub keyring: Arc<Keyring>,
    /// Used by connection tests only (syncs run in workers).
    pub marketplace: TokopediaClient,
    pub sync_all_spread: Duration,
}

/// A client for connection tests: they must answer within seconds, so short timeouts and one 429 retry.
pub fn connection_test_client(settings: &MarketplaceSettings) -> anyhow::Result<TokopediaClient> {
    let mut settings = settings.clone();
    settings.timeout_secs = settings.timeout_secs.min(5);
    settings.max_rate_limit_retries = settings.max_rate_limit_retries.min(1);
    TokopediaClient::new(&settings)
}

/// Every documented route, and the OpenAPI document built from the same registrations.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::health::router())
        .routes(routes!(openapi_json))
        .merge(routes::accounts::router())
        .merge(routes::access::router())
        .merge(routes::integrations::router())
        .merge(routes::users::router())
        .split_for_parts()
}

/// The full application: the API, the web console, the document, fallbacks and middleware.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = api_routes();
    routes
        .route_layer(axum::middleware::from_fn(path_params::reject_bad_params))
        .merge(console::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Arc::new(doc)))
        .layer(axum::extract::DefaultBodyLimit::max(error::BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(record_http_metrics))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Counts requests and their latency by route template (never by concrete path: ids would explode the
/// label set), method and status.
async fn record_http_metrics(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(monitoring::HTTP_DURATION, "route" => route.clone(), "method" => method.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(monitoring::HTTP_REQUESTS, "route" => route, "method" => method, "status" => status).increment(1);
    response
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::MethodNotAllowed
}

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "health", security(),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> Json<utoipa::openapi::OpenApi> {
    Json(doc.as_ref().clone())
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

//! The Ocean Sync HTTP API: account management, access control and sync triggers for integrators, behind
//! bearer tokens, answering in the `{success, data}` envelope and describing itself at
//! `/api/openapi.json`; and the web console over it at `/`.

pub mod app;
pub mod auth;
pub mod commands;
pub mod console;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod path_params;
pub mod permissions;
pub mod query;
pub mod routes;
pub mod throttle;
pub mod validation;

use std::{future::Future, sync::Arc, time::Duration};

pub use app::{Application, Settings};

use axum::{Extension, Json, Router};
use clap::Args;
use ocean_core::{
    config::{MarketplaceSettings, Validate},
    crypto::Keyring,
    marketplace::{Marketplaces, TokopediaClient},
    monitoring,
    queue::SyncQueue,
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
    /// Token of the bootstrap global admin user `admin`, at least 32 characters; set it to create that user or
    /// give it a new token. A token once revoked stays revoked: set a new one.
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
    /// Wrong tokens (bearer or console sign-in) one client address may present per window before its
    /// guesses are answered 429; tokens already in use from that address keep working. See `throttle`.
    #[arg(long = "auth-failure-limit", env = "OCEAN_AUTH_FAILURE_LIMIT", default_value_t = 10)]
    pub auth_failure_limit: u32,
    /// Length of the window of `OCEAN_AUTH_FAILURE_LIMIT`, in seconds.
    #[arg(
        long = "auth-failure-window-secs",
        env = "OCEAN_AUTH_FAILURE_WINDOW_SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub auth_failure_window_secs: u64,
}

/// The bootstrap admin token must resist guessing even at the throttle's rate.
pub const ADMIN_TOKEN_MIN_CHARS: usize = 32;

impl ApiSettings {
    /// The configured bootstrap admin token ([`Validate`] checks its length).
    pub fn admin_token(&self) -> Option<&str> {
        use secrecy::ExposeSecret;
        self.admin_token.as_ref().map(|t| t.expose_secret())
    }

    pub fn auth_throttle(&self) -> throttle::AuthThrottle {
        throttle::AuthThrottle::new(
            self.auth_failure_limit,
            Duration::from_secs(self.auth_failure_window_secs),
        )
    }
}

impl Validate for ApiSettings {
    fn problems(&self) -> Vec<String> {
        match self.admin_token() {
            Some(token) if token.chars().count() < ADMIN_TOKEN_MIN_CHARS => vec![format!(
                "OCEAN_ADMIN_TOKEN must be at least {ADMIN_TOKEN_MIN_CHARS} characters; generate one with \
                 `openssl rand -base64 32`"
            )],
            _ => Vec::new(),
        }
    }
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub queue: SyncQueue,
    pub keyring: Arc<Keyring>,
    /// Connection tests and connecting shops (syncs run in workers).
    pub marketplaces: Marketplaces,
    pub sync_all_spread: Duration,
    /// Shared by bearer authentication and console sign-in, so both spend one budget per address.
    pub auth_throttle: Arc<throttle::AuthThrottle>,
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
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::health::router())
        .routes(routes!(openapi_json))
        .merge(routes::accounts::router())
        .merge(routes::authorizations::router())
        .merge(routes::grants::router())
        .merge(routes::integrations::router())
        .merge(routes::users::router())
        .split_for_parts();
    utoipa::Modify::modify(&openapi::AuthenticatedRefusals, &mut doc);
    utoipa::Modify::modify(&openapi::FollowUpLinks, &mut doc);
    (routes, doc)
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
    // The peer address feeds the token-guessing throttle.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        api: super::ApiSettings,
    }

    #[test]
    fn a_short_bootstrap_admin_token_stops_the_api_naming_the_variable() {
        use ocean_core::config::Validate;
        let settings = |token: &str| Cli::parse_from(["api", "--admin-token", token]).api;
        let problems = settings("sixteen-chars-ok").problems();
        assert!(problems[0].contains("OCEAN_ADMIN_TOKEN must be at least 32 characters"));
        let long = "demo-admin-token-not-for-production";
        assert!(settings(long).problems().is_empty());
        assert_eq!(settings(long).admin_token(), Some(long));
    }
}

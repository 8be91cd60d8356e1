//! The Ocean Sync HTTP API: account management and sync triggers for integrators (and the web console),
//! behind bearer tokens, answering in the `{success, data}` envelope.

pub mod auth;
pub mod commands;
pub mod error;
pub mod routes;

use std::{future::Future, sync::Arc, time::Duration};

use axum::Router;
use clap::Args;
use ocean_shared::{config::MarketplaceSettings, crypto::Keyring, marketplace::TokopediaClient, queue::SyncQueue};
use sqlx::PgPool;
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

/// HTTP listener settings.
#[derive(Args, Debug, Clone)]
pub struct ApiSettings {
    /// Address the API listens on.
    #[arg(
        long = "addr",
        env = "OCEAN_API_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: String,
    /// Token of the bootstrap global admin user `admin`; set it to create that user or reset its token.
    #[arg(
        long = "admin-token",
        env = "OCEAN_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<secrecy::SecretString>,
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub queue: SyncQueue,
    pub keyring: Arc<Keyring>,
    /// Used by connection tests only (syncs run in workers).
    pub marketplace: TokopediaClient,
}

/// A client for connection tests: they must answer within seconds, so short timeouts and one 429 retry.
pub fn connection_test_client(settings: &MarketplaceSettings) -> anyhow::Result<TokopediaClient> {
    let mut settings = settings.clone();
    settings.timeout_secs = settings.timeout_secs.min(5);
    settings.max_rate_limit_retries = settings.max_rate_limit_retries.min(1);
    TokopediaClient::new(&settings)
}

/// The full router: health probes and `/api`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .nest(
            "/api/integrations/{integration_id}/accounts",
            routes::accounts::router(),
        )
        .fallback(routes::not_found)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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

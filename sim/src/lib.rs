//! Ocean Sync's marketplace simulator: serves the Tokopedia Open API
//! (`fs.tokopedia.net` + the token endpoint) and the TikTok Shop Partner API
//! (API and auth hosts, under `/tiktok-shop/api` and `/tiktok-shop/auth`, see
//! [`tiktok_shop`]) on one local port so the production HTTP client can be
//! tested without the internet.
//!
//! The world is deterministic: each shop's catalog and order history are
//! generated from its seed. The gateway is faithful to the research notes in
//! `shared/design/tokopedia-api.md`: one token per app, fs_id/shop RBAC
//! (403 `RBAC_MDLW_001`), token buckets per (app, endpoint) with the
//! `X-Ratelimit-*` headers, per-row throttling on bulk stock updates, the
//! `header`/`data` envelope and its quirks, and injectable latency and
//! upstream failures (500 `ORD_API_006`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = ocean_sim::Sim::new(ocean_sim::SimConfig::demo());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on {}", listener.local_addr()?);
//! ocean_sim::serve(listener, sim, std::future::pending()).await
//! # }
//! ```

mod api;
mod catalog;
mod config;
mod data;
mod orders;
mod params;
mod ratelimit;
mod registry;
mod rng;
mod routes;
mod state;
pub mod tiktok_shop;

use std::future::Future;

pub use catalog::{Category, Picture, Product};
pub use config::{AppConfig, RateLimit, ShopConfig, SimConfig};
pub use orders::{Address, Order, OrderItem, Person, Shipping};
pub use ratelimit::Endpoint;
pub use state::{Sim, SimStats};

impl Sim {
    /// The HTTP surface: Tokopedia routes, `POST /token`, the TikTok Shop
    /// hosts under `/tiktok-shop/`, and `/sim/*`.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }
}

/// Serves `sim` on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Sim,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM; a typical `shutdown` for [`serve`].
pub async fn shutdown_signal() {
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => drop(sigterm.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Serves `/metrics` on `addr` (`off`: nowhere) with the simulator's series described.
pub fn install_metrics(addr: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if addr.eq_ignore_ascii_case("off") {
        return Ok(());
    }
    let addr: std::net::SocketAddr = addr.parse().context("OCEAN_SIM_METRICS_ADDR is not host:port")?;
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])?
        .install()
        .with_context(|| format!("serving metrics on {addr}"))?;
    metrics::describe_counter!(
        "ocean_sim_requests_total",
        "Simulated marketplace requests by endpoint and status."
    );
    metrics::describe_histogram!(
        "ocean_sim_request_duration_seconds",
        metrics::Unit::Seconds,
        "Simulated marketplace processing time by endpoint."
    );
    metrics::describe_gauge!(
        "ocean_build_info",
        "Always 1; the version label names the release this process runs."
    );
    metrics::gauge!("ocean_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(())
}

//! Ocean Sync's marketplace simulator: serves the Tokopedia Open API
//! (`fs.tokopedia.net` + the token endpoint) on a local port so the
//! production HTTP client can be tested without the internet.
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

use std::future::Future;

pub use catalog::{Category, Picture, Product};
pub use config::{AppConfig, RateLimit, ShopConfig, SimConfig};
pub use orders::{Address, Order, OrderItem, Person, Shipping};
pub use ratelimit::Endpoint;
pub use state::{Sim, SimStats};

impl Sim {
    /// The HTTP surface: marketplace routes, `POST /token` and `/sim/*`.
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

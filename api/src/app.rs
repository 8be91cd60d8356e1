//! The api assembled from its settings, once: `ocean-api serve` and every test build it here, so tests
//! run the production wiring.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use clap::Args;
use ocean_core::{
    config::{self, CryptoSettings, DatabaseSettings, MarketplaceSettings, RedisSettings},
    connect::Connected,
    db::users,
    marketplace::{Marketplaces, tiktok_shop::TikTokShopSettings},
    monitoring::MetricsSettings,
    queue::QueueTiming,
};
use tokio::net::TcpListener;

use crate::{ApiSettings, AppState};

/// Everything `ocean-api serve` reads.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub api: ApiSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub redis: RedisSettings,
    #[command(flatten)]
    pub crypto: CryptoSettings,
    /// The api calls the marketplaces to test connections and to connect shops.
    #[command(flatten)]
    pub marketplace: MarketplaceSettings,
    #[command(flatten)]
    pub tiktok_shop: TikTokShopSettings,
    /// Installed by `main` (one exporter per process), not by [`Application::build`].
    #[command(flatten)]
    pub metrics: MetricsSettings,
}

/// A built api: its listener bound, its state connected, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Checks every setting, connects Postgres and Redis, makes sure the bootstrap admin exists and binds
    /// the listener (`127.0.0.1:0` takes any free port; [`Application::address`] tells which).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        config::validate(&[
            &settings.api,
            &settings.database,
            &settings.redis,
            &settings.crypto,
            &settings.marketplace,
            &settings.tiktok_shop,
        ])?;
        let keyring = settings.crypto.keyring()?;
        let connected = Connected::open(&settings.database, &settings.redis, &keyring, QueueTiming::default()).await?;
        if let Some(token) = settings.api.admin_token() {
            users::ensure_admin(&connected.pool, "admin", token)
                .await
                .context("Failed to ensure the admin user")?;
        }
        // Connection tests spend the same per-app budgets and share the same tokens as the workers.
        let marketplaces = Marketplaces::for_fleet(
            crate::connection_test_client(&settings.marketplace)?,
            &settings.tiktok_shop,
            connected.coordination,
        )?;
        let listener = TcpListener::bind(&settings.api.addr)
            .await
            .with_context(|| format!("Failed to listen on {}", settings.api.addr))?;
        let state = AppState {
            pool: connected.pool,
            queue: connected.queue,
            keyring: Arc::new(keyring),
            marketplaces,
            sync_all_spread: Duration::from_secs(settings.api.sync_all_spread_secs),
            auth_throttle: Arc::new(settings.api.auth_throttle()),
        };
        Ok(Self { listener, state })
    }

    /// Where the api listens.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The state every handler gets (its pool and queue are the api's own).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        tracing::info!(addr = %self.address(), "api listening");
        crate::run(self.listener, self.state, shutdown).await
    }
}

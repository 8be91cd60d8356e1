//! The worker assembled from its settings, once: `ocean-worker` and every in-process test worker build
//! it here.

use clap::Args;
use ocean_core::{
    config::{self, CryptoSettings, DatabaseSettings, MarketplaceSettings, RedisSettings},
    connect::Connected,
    marketplace::{Marketplaces, TokopediaClient, tiktok_shop},
    monitoring::MetricsSettings,
    queue::SyncQueue,
};
use tokio_util::sync::CancellationToken;

use crate::{SyncContext, WorkerSettings};

/// Everything `ocean-worker` reads.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub redis: RedisSettings,
    #[command(flatten)]
    pub marketplace: MarketplaceSettings,
    #[command(flatten)]
    pub tiktok_shop: tiktok_shop::TikTokShopSettings,
    #[command(flatten)]
    pub crypto: CryptoSettings,
    #[command(flatten)]
    pub worker: WorkerSettings,
    /// Installed by `main` (one exporter per process), not by [`Application::build`].
    #[command(flatten)]
    pub metrics: MetricsSettings,
}

/// A built worker: connected, not yet taking jobs.
pub struct Application {
    ctx: SyncContext,
    queue: SyncQueue,
    settings: WorkerSettings,
}

impl Application {
    /// Checks every setting and connects Postgres, Redis and the marketplace client, which shares its
    /// request budgets and tokens with every process on the same queue.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        config::validate(&[
            &settings.database,
            &settings.redis,
            &settings.crypto,
            &settings.marketplace,
            &settings.tiktok_shop,
        ])?;
        let keyring = settings.crypto.keyring()?;
        let timing = settings.worker.queue_timing();
        let connected = Connected::open(&settings.database, &settings.redis, &keyring, timing).await?;
        let marketplaces = Marketplaces::for_fleet(
            TokopediaClient::new(&settings.marketplace)?,
            &settings.tiktok_shop,
            connected.coordination,
        )?;
        let queue = connected.queue;
        let ctx = SyncContext::new(connected.pool, keyring, marketplaces, queue.clone(), &settings.worker);
        Ok(Self {
            ctx,
            queue,
            settings: settings.worker,
        })
    }

    /// Takes jobs until `shutdown` is cancelled, then drains within the grace period.
    pub async fn run_until(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        crate::run(self.ctx, self.queue, self.settings, shutdown).await
    }
}

//! The scheduler assembled from its settings, once: `ocean-scheduler` and every in-process test scheduler
//! build it here.

use clap::Args;
use ocean_core::{
    config::{self, DatabaseSettings, RedisSettings},
    monitoring::MetricsSettings,
    queue::{self, QueueTiming, SyncQueue},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::SchedulerSettings;

/// Everything `ocean-scheduler` reads.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub redis: RedisSettings,
    #[command(flatten)]
    pub scheduler: SchedulerSettings,
    /// Installed by `main` (one exporter per process), not by [`Application::build`].
    #[command(flatten)]
    pub metrics: MetricsSettings,
}

/// A built scheduler: connected, not yet ticking.
pub struct Application {
    pool: PgPool,
    queue: SyncQueue,
    settings: SchedulerSettings,
}

impl Application {
    /// Checks every setting and connects Postgres and Redis.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        config::validate(&[&settings.database, &settings.redis])?;
        let pool = settings.database.connect().await?;
        let conn = queue::connect(&settings.redis).await?;
        let queue = SyncQueue::new(conn, &settings.redis.queue_name, QueueTiming::default());
        Ok(Self {
            pool,
            queue,
            settings: settings.scheduler,
        })
    }

    /// Ticks until `shutdown` is cancelled.
    pub async fn run_until(self, shutdown: CancellationToken) {
        crate::run(self.pool, self.queue, self.settings, shutdown).await;
    }
}

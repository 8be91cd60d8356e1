//! `ocean-worker`: runs sync jobs until SIGTERM.

use anyhow::Context;
use clap::Parser;
use ocean_core::{
    config::{CryptoSettings, DatabaseSettings, MarketplaceSettings, RedisSettings},
    crypto::Keyring,
    marketplace::{TokopediaClient, coordination::Coordination},
    queue::{self, SyncQueue},
    shutdown, telemetry,
};
use ocean_worker::{SyncContext, WorkerSettings};

/// Ocean Sync worker: pulls account sync jobs from Redis and syncs them against the marketplace.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    redis: RedisSettings,
    #[command(flatten)]
    marketplace: MarketplaceSettings,
    #[command(flatten)]
    crypto: CryptoSettings,
    #[command(flatten)]
    worker: WorkerSettings,
    #[command(flatten)]
    metrics: ocean_core::monitoring::MetricsSettings,
}

#[tokio::main]
async fn main() {
    telemetry::exit_on_error(run().await);
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init("info,sqlx=warn");
    cli.metrics
        .install(ocean_core::monitoring::Process::Worker, "127.0.0.1:9103")?;
    let keyring = Keyring::parse(&cli.crypto.encryption_keys).context("Invalid OCEAN_ENCRYPTION_KEYS")?;
    let pool = cli.database.connect().await?;
    let conn = queue::connect(&cli.redis).await?;
    let queue = SyncQueue::new(conn.clone(), &cli.redis.queue_name, cli.worker.queue_timing());
    let coordination = Coordination::new(conn, &cli.redis.queue_name, keyring.clone());
    let client = TokopediaClient::new(&cli.marketplace)?.with_coordination(coordination);
    let ctx = SyncContext::new(pool, keyring, client, queue.clone(), &cli.worker);
    ocean_worker::run(ctx, queue, cli.worker, shutdown::on_signal()).await?;
    tracing::info!("worker stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

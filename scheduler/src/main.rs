//! `ocean-scheduler`: emits due sync jobs until SIGTERM. Run as many replicas as you like.

use clap::Parser;
use ocean_core::{
    config::{DatabaseSettings, RedisSettings},
    queue::{self, QueueTiming, SyncQueue},
    shutdown, telemetry,
};
use ocean_scheduler::SchedulerSettings;

/// Ocean Sync scheduler: claims due accounts in Postgres and enqueues their sync jobs.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    redis: RedisSettings,
    #[command(flatten)]
    scheduler: SchedulerSettings,
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
        .install(ocean_core::monitoring::Process::Scheduler, "127.0.0.1:9102")?;
    let pool = cli.database.connect().await?;
    let conn = queue::connect(&cli.redis).await?;
    let queue = SyncQueue::new(conn, &cli.redis.queue_name, QueueTiming::default());
    ocean_scheduler::run(pool, queue, cli.scheduler, shutdown::on_signal()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

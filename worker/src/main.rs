//! `ocean-worker`: runs sync jobs until SIGTERM.

use clap::Parser;
use ocean_core::{monitoring::Process, shutdown, telemetry};
use ocean_worker::{Application, Settings};

/// Ocean Sync worker: pulls account sync jobs from Redis and syncs them against the marketplace.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

#[tokio::main]
async fn main() {
    telemetry::init("info,sqlx=warn");
    telemetry::exit_on_error(run(Cli::parse().settings).await);
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    settings.metrics.install(Process::Worker, "127.0.0.1:9103")?;
    Application::build(settings)
        .await?
        .run_until(shutdown::on_signal())
        .await?;
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

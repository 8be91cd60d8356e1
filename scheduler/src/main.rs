//! `ocean-scheduler`: emits due sync jobs until SIGTERM. Run as many replicas as you like.

use clap::Parser;
use ocean_core::{monitoring::Process, shutdown, telemetry};
use ocean_scheduler::{Application, Settings};

/// Ocean Sync scheduler: claims due accounts in Postgres and enqueues their sync jobs.
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
    settings.metrics.install(Process::Scheduler, "127.0.0.1:9102")?;
    Application::build(settings)
        .await?
        .run_until(shutdown::on_signal())
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

//! `ocean-api`: `serve` the HTTP API, `migrate` the database, and the operator commands.

use clap::{Parser, Subcommand};
use ocean_api::{Application, Settings, commands};
use ocean_core::{config::DatabaseSettings, monitoring::Process, shutdown, telemetry};

/// Ocean Sync API: manages marketplace accounts and triggers their syncs.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API.
    Serve(Box<Settings>),
    /// Apply pending database migrations; safe to run again.
    Migrate(DatabaseSettings),
    /// Convert legacy `tokopedia-<suffix>` integrations (Option A) into tokopedia accounts; safe to run again.
    MigrateLegacy(commands::legacy::MigrateLegacyArgs),
    /// Re-seal account secrets under the active encryption key (the first of OCEAN_ENCRYPTION_KEYS).
    RotateKeys(commands::rotate_keys::RotateKeysArgs),
}

#[tokio::main]
async fn main() {
    telemetry::init("info,sqlx=warn,tower_http=info");
    telemetry::exit_on_error(match Cli::parse().command {
        Command::Serve(settings) => serve(*settings).await,
        Command::Migrate(database) => commands::migrate::execute(database).await,
        Command::MigrateLegacy(args) => commands::legacy::execute(args).await,
        Command::RotateKeys(args) => commands::rotate_keys::execute(args).await,
    });
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    settings.metrics.install(Process::Api, "127.0.0.1:9101")?;
    let app = Application::build(settings).await?;
    let stop = shutdown::on_signal();
    app.run_until(async move { stop.cancelled().await }).await?;
    tracing::info!("api stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

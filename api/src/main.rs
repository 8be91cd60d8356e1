//! `ocean-api`: `serve` the HTTP API or `migrate` the database.

use anyhow::Context;
use clap::{Parser, Subcommand};
use ocean_api::{ApiSettings, AppState};
use ocean_core::marketplace::coordination::Coordination;
use ocean_core::{
    config::{CryptoSettings, DatabaseSettings, MarketplaceSettings, RedisSettings},
    crypto::Keyring,
    db::users,
    queue::{self, QueueTiming, SyncQueue},
    shutdown, telemetry,
};
use secrecy::ExposeSecret;

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
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations; safe to run again.
    Migrate(DatabaseSettings),
    /// Convert legacy `tokopedia-<suffix>` integrations (Option A) into tokopedia accounts; safe to run again.
    MigrateLegacy(ocean_api::commands::legacy::MigrateLegacyArgs),
    /// Re-seal account secrets under the active encryption key (the first of OCEAN_ENCRYPTION_KEYS).
    RotateKeys(ocean_api::commands::rotate_keys::RotateKeysArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    api: ApiSettings,
    #[command(flatten)]
    database: DatabaseSettings,
    #[command(flatten)]
    redis: RedisSettings,
    #[command(flatten)]
    crypto: CryptoSettings,
    /// The api calls the marketplace only to test connections.
    #[command(flatten)]
    marketplace: MarketplaceSettings,
    #[command(flatten)]
    metrics: ocean_core::monitoring::MetricsSettings,
}

#[tokio::main]
async fn main() {
    telemetry::exit_on_error(run().await);
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init("info,sqlx=warn,tower_http=info");
    match cli.command {
        Command::Migrate(database) => {
            create_database_if_missing(&database).await?;
            let pool = database.connect().await?;
            ocean_core::MIGRATOR
                .run(&pool)
                .await
                .context("Failed to run migrations")?;
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Serve(args) => serve(*args).await,
        Command::MigrateLegacy(args) => ocean_api::commands::legacy::execute(args).await,
        Command::RotateKeys(args) => ocean_api::commands::rotate_keys::execute(args).await,
    }
}

/// A fresh machine has a server but not our database yet.
async fn create_database_if_missing(database: &DatabaseSettings) -> anyhow::Result<()> {
    use sqlx::{Postgres, migrate::MigrateDatabase};
    let url = database.database_url.expose_secret();
    if !Postgres::database_exists(url)
        .await
        .context("Failed to reach Postgres (DATABASE_URL)")?
    {
        Postgres::create_database(url)
            .await
            .context("Failed to create the database")?;
        tracing::info!("database created");
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    args.metrics
        .install(ocean_core::monitoring::Process::Api, "127.0.0.1:9101")?;
    let keyring = Keyring::parse(&args.crypto.encryption_keys).context("Invalid OCEAN_ENCRYPTION_KEYS")?;
    let pool = args.database.connect().await?;
    if let Some(token) = args.api.admin_token()? {
        users::ensure_admin(&pool, "admin", token)
            .await
            .context("Failed to ensure the admin user")?;
    }
    let conn = queue::connect(&args.redis).await?;
    let queue = SyncQueue::new(conn.clone(), &args.redis.queue_name, QueueTiming::default());
    // Connection tests spend the same per-app budgets and share the same tokens as the workers.
    let coordination = Coordination::new(conn, &args.redis.queue_name, keyring.clone());
    let listener = tokio::net::TcpListener::bind(&args.api.addr)
        .await
        .with_context(|| format!("Failed to listen on {}", args.api.addr))?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    let state = AppState {
        pool,
        queue,
        keyring: std::sync::Arc::new(keyring),
        marketplace: ocean_api::connection_test_client(&args.marketplace)?.with_coordination(coordination),
        sync_all_spread: std::time::Duration::from_secs(args.api.sync_all_spread_secs),
        auth_throttle: std::sync::Arc::new(args.api.auth_throttle()),
    };
    let stop = shutdown::on_signal();
    ocean_api::run(listener, state, async move { stop.cancelled().await }).await?;
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

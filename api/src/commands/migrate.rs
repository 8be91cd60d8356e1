//! `ocean-api migrate`: creates the database if the server lacks it, then applies pending migrations.

use anyhow::Context;
use ocean_core::config::{DatabaseSettings, Validate};
use secrecy::ExposeSecret;
use sqlx::{Postgres, migrate::MigrateDatabase};

/// Applies pending migrations; safe to run again.
pub async fn execute(database: DatabaseSettings) -> anyhow::Result<()> {
    ocean_core::config::validate(&[&database as &dyn Validate])?;
    create_database_if_missing(&database).await?;
    let pool = database.connect().await?;
    ocean_core::MIGRATOR
        .run(&pool)
        .await
        .context("Failed to run migrations")?;
    tracing::info!("database is up to date");
    Ok(())
}

/// A fresh machine has a server but not our database yet.
async fn create_database_if_missing(database: &DatabaseSettings) -> anyhow::Result<()> {
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

//! Building blocks shared by the Ocean Sync binaries (api, scheduler, worker): typed configuration,
//! telemetry and shutdown, the Postgres data layer, credential encryption, the sync job queue on Redis,
//! and the Tokopedia marketplace client.

pub mod config;
pub mod connect;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod feed;
pub mod marketplace;
pub mod monitoring;
pub mod queue;
pub mod shutdown;
pub mod telemetry;

/// The schema migrations in `migrations/`, embedded in every binary. Run them with `ocean-api migrate`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

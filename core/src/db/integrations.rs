//! `integrations`: platform definitions and their platform-wide settings.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

/// A platform and its settings.
#[derive(Debug, Clone, FromRow)]
pub struct Integration {
    pub integration_id: String,
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub status: String,
    /// Sync-all releases every account at once; otherwise it spreads them out.
    pub sync_all_simultaneously: bool,
    /// Products with the same SKU in several accounts map to one local product.
    pub share_product_catalog: bool,
    /// One order notification for all accounts instead of one per account.
    pub consolidated_order_notifications: bool,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "integration_id, name, description, category, status, sync_all_simultaneously, \
                       share_product_catalog, consolidated_order_notifications, updated_at";

pub async fn get(db: impl PgExecutor<'_>, integration_id: &str) -> Result<Option<Integration>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM integrations WHERE integration_id = $1"))
        .bind(integration_id)
        .fetch_optional(db)
        .await
}

/// Settings to change; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct SettingsUpdate {
    pub sync_all_simultaneously: Option<bool>,
    pub share_product_catalog: Option<bool>,
    pub consolidated_order_notifications: Option<bool>,
}

pub async fn update_settings(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    update: &SettingsUpdate,
) -> Result<Option<Integration>, sqlx::Error> {
    sqlx::query_as(&format!(
        r#"UPDATE integrations
           SET sync_all_simultaneously = COALESCE($2, sync_all_simultaneously),
               share_product_catalog = COALESCE($3, share_product_catalog),
               consolidated_order_notifications = COALESCE($4, consolidated_order_notifications),
               updated_at = now()
           WHERE integration_id = $1
           RETURNING {COLUMNS}"#
    ))
    .bind(integration_id)
    .bind(update.sync_all_simultaneously)
    .bind(update.share_product_catalog)
    .bind(update.consolidated_order_notifications)
    .fetch_optional(db)
    .await
}

/// Takes the integration's row lock for the rest of the transaction: changes of the primary account are
/// serialized through it, so two of them cannot race into the one-primary index.
pub async fn lock(conn: &mut sqlx::PgConnection, integration_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM integrations WHERE integration_id = $1 FOR UPDATE")
        .bind(integration_id)
        .execute(conn)
        .await?;
    Ok(())
}

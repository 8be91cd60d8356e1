//! Legacy "Option A" integrations (`tokopedia-<suffix>` rows holding one shop's credentials in
//! `config`): reading them, and marking them once their shop lives in `integration_accounts`.

use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};

use crate::domain::AccountId;

/// The audit action recorded for each migrated legacy row.
pub const MIGRATE_ACTION: &str = "account.migrate_legacy";

/// An `integrations` row of the Option A layout.
#[derive(Debug, Clone, FromRow)]
pub struct LegacyIntegration {
    pub id: i64,
    pub integration_id: String,
    pub name: String,
    pub status: String,
    pub config: Value,
}

const COLUMNS: &str = "id, integration_id, name, status, config";

/// Every `<platform>-<suffix>` row (suffix non-empty), oldest first.
pub async fn list(db: impl PgExecutor<'_>, platform: &str) -> Result<Vec<LegacyIntegration>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM integrations WHERE starts_with(integration_id, $1 || '-')
         AND length(integration_id) > length($1) + 1 ORDER BY id"
    );
    sqlx::query_as(&sql).bind(platform).fetch_all(db).await
}

/// Re-reads one row and locks it until the transaction ends, so two concurrent runs cannot both migrate
/// it. `None` if it was deleted meanwhile.
pub async fn lock(conn: &mut PgConnection, id: i64) -> Result<Option<LegacyIntegration>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM integrations WHERE id = $1 FOR UPDATE");
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await
}

/// The id of the account with this identifier under `integration_id`, if one exists.
pub async fn account_by_identifier(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    account_identifier: &str,
) -> Result<Option<AccountId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM integration_accounts WHERE integration_id = $1 AND account_identifier = $2")
        .bind(integration_id)
        .bind(account_identifier)
        .fetch_optional(db)
        .await
}

/// Marks a legacy row as migrated: inactive, linked to its account, and without its plaintext
/// `client_secret` (top level or under `credentials`), which now lives sealed on the account.
pub async fn mark_migrated(conn: &mut PgConnection, id: i64, account_id: AccountId) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"UPDATE integrations
           SET status = 'inactive',
               config = ((config - 'client_secret') #- '{credentials,client_secret}')
                        || jsonb_build_object('migrated_to_account_id', $2::bigint),
               updated_at = now()
           WHERE id = $1"#,
    )
    .bind(id)
    .bind(account_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a plaintext `client_secret` left on an already migrated row (migrated by hand, say).
pub async fn strip_plaintext_secret(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"UPDATE integrations
           SET config = (config - 'client_secret') #- '{credentials,client_secret}', updated_at = now()
           WHERE id = $1"#,
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records one migration in `integration_logs`. An operator command has no API user, so the actor is
/// NULL. `details` must never hold secret values.
pub async fn insert_audit(
    conn: &mut PgConnection,
    integration_id: &str,
    account_id: AccountId,
    details: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_logs (integration_id, account_id, kind, outcome, action, actor_user_id, details)
           VALUES ($1, $2, 'audit', 'success', $3, NULL, $4)"#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(MIGRATE_ACTION)
    .bind(details)
    .execute(conn)
    .await?;
    Ok(())
}

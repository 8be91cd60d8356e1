//! `integration_accounts`: creation with sealed secrets, reads, and the sync lifecycle (lease, fenced
//! success and failure writes).

use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, types::Json};

use crate::crypto::{CryptoError, Keyring};
use crate::domain::{Account, AccountCredentials, AccountId, AccountSecrets, Feature};

const ACCOUNT_COLUMNS: &str = r#"
    id, integration_id, account_name, account_identifier, credentials,
    secret_ciphertext IS NOT NULL AS has_secret, status, enabled, auto_sync, sync_interval_minutes,
    features, last_sync_at, sync_count, error_count, last_error, consecutive_failures, paused_at, paused_reason,
    metadata, is_primary, next_sync_at,
    sync_requested_at, sync_request_seq, sync_served_seq, last_sync_started_at, last_sync_finished_at,
    created_at, updated_at
"#;

/// What it takes to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub integration_id: String,
    pub account_name: String,
    pub account_identifier: String,
    pub credentials: AccountCredentials,
    pub secrets: AccountSecrets,
    pub enabled: bool,
    pub auto_sync: bool,
    pub sync_interval_minutes: i32,
    pub features: Vec<Feature>,
    pub is_primary: bool,
    pub metadata: Value,
}

/// Inserts an account, sealing its secrets. The integration's first account becomes primary; asking for
/// primary demotes the current one in the same transaction. A new enabled account is due at once.
pub async fn insert(conn: &mut PgConnection, keyring: &Keyring, new: &NewAccount) -> Result<Account, sqlx::Error> {
    if new.is_primary {
        sqlx::query("UPDATE integration_accounts SET is_primary = false, updated_at = now() WHERE integration_id = $1 AND is_primary")
            .bind(&new.integration_id)
            .execute(&mut *conn)
            .await?;
    }
    let sealed = keyring.seal(&new.secrets.to_plaintext());
    let features: Vec<&str> = new.features.iter().map(|f| f.as_str()).collect();
    let sql = format!(
        r#"
        INSERT INTO integration_accounts (
            integration_id, account_name, account_identifier, credentials, secret_ciphertext, secret_key_id,
            status, enabled, auto_sync, sync_interval_minutes, features, metadata, is_primary, next_sync_at)
        VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN 'pending' ELSE 'inactive' END, $7, $8, $9, $10, $11,
            $12 OR NOT EXISTS (SELECT 1 FROM integration_accounts WHERE integration_id = $1 AND is_primary),
            now())
        RETURNING {ACCOUNT_COLUMNS}"#
    );
    sqlx::query_as(&sql)
        .bind(&new.integration_id)
        .bind(&new.account_name)
        .bind(&new.account_identifier)
        .bind(Json(&new.credentials))
        .bind(&sealed.bytes)
        .bind(&sealed.key_id)
        .bind(new.enabled)
        .bind(new.auto_sync)
        .bind(new.sync_interval_minutes)
        .bind(&features)
        .bind(&new.metadata)
        .bind(new.is_primary)
        .fetch_one(&mut *conn)
        .await
}

/// Changes to an account; `None` keeps the stored value. New secrets replace the sealed ones only when
/// given, so an update without credentials keeps the old secret.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub account_name: Option<String>,
    pub account_identifier: Option<String>,
    pub credentials: Option<AccountCredentials>,
    pub secrets: Option<AccountSecrets>,
    pub enabled: Option<bool>,
    pub auto_sync: Option<bool>,
    pub sync_interval_minutes: Option<i32>,
    pub features: Option<Vec<Feature>>,
    pub metadata: Option<Value>,
}

/// Applies `update`. Disabling marks the account inactive; enabling makes it pending and due now; a new
/// interval counts from the last sync start.
pub async fn update(
    db: impl PgExecutor<'_>,
    keyring: &Keyring,
    id: AccountId,
    update: &AccountUpdate,
) -> Result<Option<Account>, sqlx::Error> {
    let sealed = update.secrets.as_ref().map(|s| keyring.seal(&s.to_plaintext()));
    let features: Option<Vec<&str>> = update.features.as_ref().map(|f| f.iter().map(|f| f.as_str()).collect());
    let sql = format!(
        r#"
        UPDATE integration_accounts SET
            account_name = COALESCE($2, account_name),
            account_identifier = COALESCE($3, account_identifier),
            credentials = COALESCE($4, credentials),
            secret_ciphertext = COALESCE($5, secret_ciphertext),
            secret_key_id = COALESCE($6, secret_key_id),
            status = CASE WHEN $7 = false THEN 'inactive'
                          WHEN $7 = true AND NOT enabled THEN 'pending'
                          -- New secrets are the seller's answer to a lapsed authorization.
                          WHEN $5::bytea IS NOT NULL AND status = 'needs_reauthorization' THEN 'pending'
                          ELSE status END,
            next_sync_at = CASE WHEN $7 = true AND NOT enabled THEN now()
                                WHEN $9::int IS NOT NULL
                                    THEN COALESCE(last_sync_started_at, now()) + make_interval(mins => $9::int)
                                ELSE next_sync_at END,
            enabled = COALESCE($7, enabled),
            -- A job out for a disabled account is skipped by the worker; enabling it again feeds anew.
            sync_enqueued_at = CASE WHEN $7 = false THEN NULL ELSE sync_enqueued_at END,
            auto_sync = COALESCE($8, auto_sync),
            sync_interval_minutes = COALESCE($9, sync_interval_minutes),
            features = COALESCE($10, features),
            metadata = COALESCE($11, metadata),
            -- Changed credentials or settings are a new attempt: lift a pause.
            paused_at = NULL, paused_reason = NULL, consecutive_failures = 0,
            updated_at = now()
        WHERE id = $1
        RETURNING {ACCOUNT_COLUMNS}"#
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(&update.account_name)
        .bind(&update.account_identifier)
        .bind(update.credentials.as_ref().map(Json))
        .bind(sealed.as_ref().map(|s| &s.bytes))
        .bind(sealed.as_ref().map(|s| &s.key_id))
        .bind(update.enabled)
        .bind(update.auto_sync)
        .bind(update.sync_interval_minutes)
        .bind(&features)
        .bind(&update.metadata)
        .fetch_optional(db)
        .await
}

/// Makes `id` the integration's only primary account, atomically.
pub async fn set_primary(
    conn: &mut PgConnection,
    integration_id: &str,
    id: AccountId,
) -> Result<Option<Account>, sqlx::Error> {
    super::integrations::lock(&mut *conn, integration_id).await?;
    sqlx::query(
        "UPDATE integration_accounts SET is_primary = false, updated_at = now() WHERE integration_id = $1 AND is_primary AND id <> $2",
    )
    .bind(integration_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let sql = format!(
        "UPDATE integration_accounts SET is_primary = true, updated_at = now() WHERE id = $1 AND integration_id = $2 RETURNING {ACCOUNT_COLUMNS}"
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(integration_id)
        .fetch_optional(conn)
        .await
}

/// Deletes an account with its synced data and mappings (logs stay, with `account_id` cleared). When it was
/// the primary, the oldest remaining account (enabled ones first) becomes primary; returns its id.
pub async fn delete(
    conn: &mut PgConnection,
    integration_id: &str,
    id: AccountId,
) -> Result<Option<AccountId>, sqlx::Error> {
    super::integrations::lock(&mut *conn, integration_id).await?;
    let was_primary: Option<bool> = sqlx::query_scalar(
        "DELETE FROM integration_accounts WHERE id = $1 AND integration_id = $2 RETURNING is_primary",
    )
    .bind(id)
    .bind(integration_id)
    .fetch_optional(&mut *conn)
    .await?;
    if was_primary != Some(true) {
        return Ok(None);
    }
    sqlx::query_scalar(
        r#"UPDATE integration_accounts SET is_primary = true, updated_at = now()
           WHERE id = (SELECT id FROM integration_accounts WHERE integration_id = $1 ORDER BY enabled DESC, id LIMIT 1)
           RETURNING id"#,
    )
    .bind(integration_id)
    .fetch_optional(conn)
    .await
}

/// How to page and sort the account list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
    pub sort: SortKey,
    pub descending: bool,
    pub status: Option<String>,
    pub enabled: Option<bool>,
    /// Only these accounts (a caller without the global admin role); `None` means all.
    pub only: Option<Vec<AccountId>>,
}

/// Columns the list can be sorted by (a whitelist: the name goes into SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Status,
    LastSync,
    Created,
}

impl SortKey {
    pub const NAMES: [&'static str; 5] = ["id", "account_name", "status", "last_sync_at", "created_at"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id" => Some(Self::Id),
            "account_name" => Some(Self::Name),
            "status" => Some(Self::Status),
            "last_sync_at" => Some(Self::LastSync),
            "created_at" => Some(Self::Created),
            _ => None,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "lower(account_name)",
            Self::Status => "status",
            Self::LastSync => "last_sync_at",
            Self::Created => "created_at",
        }
    }
}

/// One page of accounts and the total number matching the filters.
pub async fn list_page(
    db: &sqlx::PgPool,
    integration_id: &str,
    q: &ListQuery,
) -> Result<(Vec<Account>, i64), sqlx::Error> {
    let filter = r#"integration_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bool IS NULL OR enabled = $3)
                    AND ($4::bigint[] IS NULL OR id = ANY($4))"#;
    let direction = if q.descending {
        "DESC NULLS LAST"
    } else {
        "ASC NULLS LAST"
    };
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM integration_accounts WHERE {filter} ORDER BY {} {direction}, id LIMIT $5 OFFSET $6",
        q.sort.column()
    );
    let only: Option<Vec<i64>> = q.only.as_ref().map(|ids| ids.iter().map(|id| id.0).collect());
    let rows = sqlx::query_as(&sql)
        .bind(integration_id)
        .bind(&q.status)
        .bind(q.enabled)
        .bind(&only)
        .bind(q.per_page)
        .bind((q.page - 1) * q.per_page)
        .fetch_all(db)
        .await?;
    let total = sqlx::query_scalar(&format!("SELECT count(*) FROM integration_accounts WHERE {filter}"))
        .bind(integration_id)
        .bind(&q.status)
        .bind(q.enabled)
        .bind(&only)
        .fetch_one(db)
        .await?;
    Ok((rows, total))
}

/// All accounts of an integration, oldest first.
pub async fn list(db: impl PgExecutor<'_>, integration_id: &str) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM integration_accounts WHERE integration_id = $1 ORDER BY id");
    sqlx::query_as(&sql).bind(integration_id).fetch_all(db).await
}

pub async fn get(db: impl PgExecutor<'_>, id: AccountId) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM integration_accounts WHERE id = $1");
    sqlx::query_as(&sql).bind(id).fetch_optional(db).await
}

/// Replaces an account's tokens and their expiries in one write (a refresh may rotate both tokens:
/// storing one without the other would lose the account). Status and pause are left alone.
pub async fn store_tokens(
    db: impl PgExecutor<'_>,
    keyring: &Keyring,
    id: AccountId,
    credentials: &AccountCredentials,
    secrets: &AccountSecrets,
) -> Result<(), sqlx::Error> {
    let sealed = keyring.seal(&secrets.to_plaintext());
    sqlx::query(
        r#"UPDATE integration_accounts
           SET credentials = $2, secret_ciphertext = $3, secret_key_id = $4, updated_at = now()
           WHERE id = $1"#,
    )
    .bind(id)
    .bind(Json(credentials))
    .bind(&sealed.bytes)
    .bind(&sealed.key_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The integration's account with `identifier`, if any.
pub async fn find_by_identifier(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    identifier: &str,
) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM integration_accounts WHERE integration_id = $1 AND account_identifier = $2"
    );
    sqlx::query_as(&sql)
        .bind(integration_id)
        .bind(identifier)
        .fetch_optional(db)
        .await
}

/// Opens the account's sealed secrets.
pub async fn secrets(
    db: impl PgExecutor<'_>,
    keyring: &Keyring,
    id: AccountId,
) -> Result<Option<AccountSecrets>, SecretsError> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> =
        sqlx::query_as("SELECT secret_ciphertext, secret_key_id FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    let Some((Some(bytes), Some(key_id))) = row else {
        return Ok(None);
    };
    let plaintext = keyring.open(&key_id, &bytes)?;
    serde_json::from_slice(&plaintext)
        .map(Some)
        .map_err(|_| SecretsError::Corrupt)
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("stored credentials are not in the expected format")]
    Corrupt,
}

/// Lifts a pause (explicit resume, or changed credentials or settings): the account is due again at once.
pub async fn resume(db: impl PgExecutor<'_>, id: AccountId) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        r#"UPDATE integration_accounts
           SET paused_at = NULL, paused_reason = NULL, consecutive_failures = 0,
               next_sync_at = CASE WHEN auto_sync THEN now() ELSE next_sync_at END, updated_at = now()
           WHERE id = $1 AND paused_at IS NOT NULL"#,
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

//! Sealed account secrets by encryption key, for key rotation: which key ids are in use, and batches of
//! secrets to re-seal under the active key.

use sqlx::{FromRow, PgConnection, PgExecutor};

use crate::domain::AccountId;

/// How many sealed secrets one key id holds. `key_id` is `None` for a ciphertext stored without one.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct KeyUsage {
    pub key_id: Option<String>,
    /// Accounts with a sealed secret under this key id.
    pub accounts: i64,
}

/// Sealed secrets per key id, ordered by key id.
pub async fn usage(db: impl PgExecutor<'_>) -> Result<Vec<KeyUsage>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT secret_key_id AS key_id, count(*) AS accounts FROM integration_accounts
           WHERE secret_ciphertext IS NOT NULL GROUP BY secret_key_id ORDER BY secret_key_id NULLS FIRST"#,
    )
    .fetch_all(db)
    .await
}

/// Accounts whose secret is sealed under one of `key_ids` (or under no key id at all when
/// `include_missing` is set), by id.
pub async fn accounts_under(
    db: impl PgExecutor<'_>,
    key_ids: &[String],
    include_missing: bool,
) -> Result<Vec<(AccountId, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT id, secret_key_id FROM integration_accounts
           WHERE secret_ciphertext IS NOT NULL
             AND (secret_key_id = ANY($1) OR ($2 AND secret_key_id IS NULL))
           ORDER BY id"#,
    )
    .bind(key_ids)
    .bind(include_missing)
    .fetch_all(db)
    .await
}

/// A sealed secret to re-seal.
#[derive(Debug, Clone, FromRow)]
pub struct SealedSecret {
    pub id: AccountId,
    pub key_id: String,
    pub ciphertext: Vec<u8>,
}

/// Locks up to `limit` secrets sealed under one of `stale_key_ids`, skipping rows other transactions
/// hold (a worker mid-sync) and the ids in `exclude`, so rotation never waits on the fleet.
pub async fn claim_stale(
    conn: &mut PgConnection,
    stale_key_ids: &[String],
    exclude: &[AccountId],
    limit: i64,
) -> Result<Vec<SealedSecret>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT id, secret_key_id AS key_id, secret_ciphertext AS ciphertext FROM integration_accounts
           WHERE secret_ciphertext IS NOT NULL AND secret_key_id = ANY($1) AND NOT (id = ANY($2))
           ORDER BY id LIMIT $3
           FOR UPDATE SKIP LOCKED"#,
    )
    .bind(stale_key_ids)
    .bind(exclude)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// How many secrets are still sealed under one of `stale_key_ids`, outside `exclude` (locked rows count).
pub async fn count_stale(
    db: impl PgExecutor<'_>,
    stale_key_ids: &[String],
    exclude: &[AccountId],
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        r#"SELECT count(*) FROM integration_accounts
           WHERE secret_ciphertext IS NOT NULL AND secret_key_id = ANY($1) AND NOT (id = ANY($2))"#,
    )
    .bind(stale_key_ids)
    .bind(exclude)
    .fetch_one(db)
    .await
}

/// Stores re-sealed secrets (id, ciphertext) under `key_id` in one statement. The rows must be locked by
/// the caller's transaction ([`claim_stale`]).
pub async fn store_resealed(
    conn: &mut PgConnection,
    key_id: &str,
    resealed: &[(AccountId, Vec<u8>)],
) -> Result<u64, sqlx::Error> {
    let ids: Vec<AccountId> = resealed.iter().map(|(id, _)| *id).collect();
    let bytes: Vec<&[u8]> = resealed.iter().map(|(_, b)| b.as_slice()).collect();
    let result = sqlx::query(
        r#"UPDATE integration_accounts a SET secret_ciphertext = u.bytes, secret_key_id = $3
           FROM UNNEST($1::bigint[], $2::bytea[]) AS u(id, bytes) WHERE a.id = u.id"#,
    )
    .bind(&ids)
    .bind(&bytes)
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

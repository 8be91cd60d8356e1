//! The scheduler's claims. Several scheduler replicas run these at once: `FOR UPDATE SKIP LOCKED` hands each
//! due row to exactly one of them, and the claim advances the row in the same transaction.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::AccountId;

/// A due account claimed by this scheduler.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueAccount {
    pub id: AccountId,
    /// The due time that was claimed; it names the slot in the job's idempotency key.
    pub due_at: DateTime<Utc>,
}

/// Claims up to `limit` enabled auto-sync accounts whose time has come and moves each one's next due time
/// one interval ahead, so no other replica claims the same slot. Runs inside the caller's transaction.
pub async fn claim_due(conn: &mut PgConnection, limit: i64) -> Result<Vec<DueAccount>, sqlx::Error> {
    sqlx::query_as(
        r#"
        WITH due AS (
            SELECT id, next_sync_at FROM integration_accounts
            WHERE enabled AND auto_sync AND next_sync_at <= now()
            ORDER BY next_sync_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE integration_accounts a
        SET next_sync_at = greatest(due.next_sync_at, now()) + make_interval(mins => a.sync_interval_minutes)
        FROM due WHERE a.id = due.id
        RETURNING a.id, due.next_sync_at AS due_at
        "#,
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A sync request with no job out for it (a job found the account busy), or whose job was pushed more
/// than `older_than_secs` ago without starting (lost with a Redis flush or failover).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRequest {
    pub id: AccountId,
    pub requested_at: DateTime<Utc>,
    pub trigger: Option<String>,
}

/// Claims such requests of accounts that are not syncing right now and marks them enqueued, in the
/// caller's transaction.
pub async fn claim_stale_requests(
    conn: &mut PgConnection,
    older_than_secs: f64,
    limit: i64,
) -> Result<Vec<PendingRequest>, sqlx::Error> {
    sqlx::query_as(
        r#"
        WITH stale AS (
            SELECT id FROM integration_accounts
            WHERE enabled AND sync_requested_at IS NOT NULL
              AND (sync_enqueued_at IS NULL OR sync_enqueued_at < now() - make_interval(secs => $1))
              AND (lease_expires_at IS NULL OR lease_expires_at < now())
            ORDER BY sync_requested_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE integration_accounts a SET sync_enqueued_at = now()
        FROM stale WHERE a.id = stale.id
        RETURNING a.id, a.sync_requested_at AS requested_at, a.sync_requested_trigger AS trigger
        "#,
    )
    .bind(older_than_secs)
    .bind(limit)
    .fetch_all(conn)
    .await
}

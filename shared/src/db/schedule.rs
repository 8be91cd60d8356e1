//! The scheduler's claims. Several scheduler replicas run these at once: `FOR UPDATE SKIP LOCKED` hands each
//! row to exactly one of them, and the claim changes the row in the same transaction.
//!
//! Every wish to sync is an *intent* on the account row (`sync_requested_at`): a due schedule, a sync-now,
//! a sync-all, a follow-up. Intents live in Postgres; Redis only ever holds the few that have been fed to
//! the workers (`sync_enqueued_at` set), so a Redis flush loses nothing and a backlog of thousands never
//! reaches apalis-redis (which wedges past ~8,000 due jobs).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::AccountId;

/// Turns up to `limit` due schedules into intents and moves each account's next due time one interval
/// (plus a per-account jitter of up to a tenth of the interval, so accounts created together drift apart)
/// ahead. Returns how many accounts were due. Runs inside the caller's transaction.
pub async fn claim_due(conn: &mut PgConnection, limit: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        r#"
        WITH due AS (
            SELECT id, next_sync_at FROM integration_accounts
            WHERE enabled AND auto_sync AND paused_at IS NULL AND next_sync_at <= now()
            ORDER BY next_sync_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE integration_accounts a
        SET next_sync_at = greatest(due.next_sync_at, now())
                + make_interval(mins => a.sync_interval_minutes)
                + make_interval(secs => (a.id * 7919 % 1000) / 1000.0 * a.sync_interval_minutes * 6),
            -- A pending intent covers the slot, unless it is one spread into the future by a sync-all:
            -- a due schedule is not postponed by it.
            sync_requested_trigger = CASE WHEN a.sync_requested_at IS NULL OR a.sync_requested_at > due.next_sync_at
                                          THEN 'schedule' ELSE a.sync_requested_trigger END,
            sync_requested_at = LEAST(a.sync_requested_at, due.next_sync_at)
        FROM due WHERE a.id = due.id
        "#,
    )
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// An intent handed to the workers by this scheduler.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FedIntent {
    pub id: AccountId,
    pub requested_at: DateTime<Utc>,
    pub trigger: Option<String>,
}

/// Claims up to `limit` intents to push to the queue and marks them enqueued: intents with no job out
/// (new ones, deferred ones, ones lost with Redis) and ones whose job was pushed more than
/// `requeue_after_secs` ago without starting. Accounts that are syncing right now wait for their lease.
///
/// Order is fair across apps: the oldest intent of every app first, then the second of every app, and so
/// on, so one app's thousand-account sync-all does not starve another app's single account.
pub async fn claim_feedable(
    conn: &mut PgConnection,
    requeue_after_secs: f64,
    limit: i64,
) -> Result<Vec<FedIntent>, sqlx::Error> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        r#"
        WITH waiting AS (
            SELECT id, sync_requested_at,
                   row_number() OVER (PARTITION BY credentials->>'fs_id' ORDER BY sync_requested_at, id) AS turn
            FROM integration_accounts
            WHERE enabled AND paused_at IS NULL AND sync_requested_at IS NOT NULL AND sync_requested_at <= now()
              AND (sync_enqueued_at IS NULL OR sync_enqueued_at < now() - make_interval(secs => $1))
              AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ), picked AS (
            -- The same conditions again, on the row itself: if another replica fed it after this
            -- statement's snapshot, the lock is taken on its newest version and they are checked there.
            SELECT a.id FROM integration_accounts a JOIN waiting w ON w.id = a.id
            WHERE a.enabled AND a.paused_at IS NULL AND a.sync_requested_at IS NOT NULL AND a.sync_requested_at <= now()
              AND (a.sync_enqueued_at IS NULL OR a.sync_enqueued_at < now() - make_interval(secs => $1))
              AND (a.lease_expires_at IS NULL OR a.lease_expires_at < now())
            ORDER BY w.turn, w.sync_requested_at, a.id
            LIMIT $2
            FOR UPDATE OF a SKIP LOCKED
        )
        UPDATE integration_accounts a SET sync_enqueued_at = now()
        FROM picked WHERE a.id = picked.id
        RETURNING a.id, a.sync_requested_at AS requested_at, a.sync_requested_trigger AS trigger
        "#,
    )
    .bind(requeue_after_secs)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Redis lost its data (flush, restart without persistence, failover to an empty replica): no intent has
/// a job out any more. Returns how many intents will be fed again.
pub async fn forget_enqueued(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("UPDATE integration_accounts SET sync_enqueued_at = NULL WHERE sync_enqueued_at IS NOT NULL")
            .execute(conn)
            .await?;
    Ok(result.rows_affected())
}

/// Intents waiting in Postgres for a place in the queue (for metrics and tests).
pub async fn waiting_intents(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM integration_accounts WHERE enabled AND sync_requested_at IS NOT NULL AND sync_enqueued_at IS NULL",
    )
    .fetch_one(conn)
    .await
}

/// Accounts per (integration, status), and enabled accounts per (integration, freshness), for metrics.
/// Freshness follows [`crate::db::accounts::Account::freshness`].
pub async fn account_gauges(
    conn: &mut PgConnection,
) -> Result<(Vec<(String, String, i64)>, Vec<(String, String, i64)>), sqlx::Error> {
    let by_status =
        sqlx::query_as("SELECT integration_id, status, count(*) FROM integration_accounts GROUP BY 1, 2 ORDER BY 1, 2")
            .fetch_all(&mut *conn)
            .await?;
    let by_freshness = sqlx::query_as(
        r#"SELECT integration_id,
                  CASE WHEN now() - coalesce(last_sync_at, created_at) <= make_interval(mins => sync_interval_minutes)
                           THEN 'on_time'
                       WHEN now() - coalesce(last_sync_at, created_at) <= make_interval(mins => 2 * sync_interval_minutes)
                           THEN 'delayed'
                       ELSE 'stale' END,
                  count(*)
           FROM integration_accounts WHERE enabled GROUP BY 1, 2 ORDER BY 1, 2"#,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((by_status, by_freshness))
}

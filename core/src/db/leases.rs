//! The sync lifecycle of one account: the lease a worker holds while it syncs (with its fencing token),
//! fenced writes of outcomes and checkpoints, and taking back syncs that stopped unfinished. The request
//! numbers these move are explained in [`crate::db::intents`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::AccountId;

/// A held sync lease. `token` is the fencing token every result write must present.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub account_id: AccountId,
    pub token: i64,
}

/// Takes the account's sync lease if nobody holds a live one. Starting a sync consumes the waiting
/// request and its job (it covers every request made so far: `sync_started_seq` = `sync_request_seq`) and
/// sets the next due time one interval from now (due time counts from the last start), plus the account's
/// jitter of up to a tenth of the interval.
pub async fn acquire_lease(
    db: impl PgExecutor<'_>,
    id: AccountId,
    owner: &str,
    ttl: std::time::Duration,
) -> Result<Option<Lease>, sqlx::Error> {
    let token: Option<i64> = sqlx::query_scalar(
        r#"UPDATE integration_accounts
           SET lease_token = lease_token + 1,
               lease_owner = $2,
               lease_expires_at = now() + make_interval(secs => $3),
               last_sync_started_at = now(),
               next_sync_at = next_sync_due(now(), id, sync_interval_minutes),
               sync_started_seq = sync_request_seq,
               sync_requested_at = NULL,
               sync_requested_trigger = NULL,
               sync_enqueued_at = NULL
           WHERE id = $1 AND enabled AND paused_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at < now())
           RETURNING lease_token"#,
    )
    .bind(id)
    .bind(owner)
    .bind(ttl.as_secs_f64())
    .fetch_optional(db)
    .await?;
    Ok(token.map(|token| Lease { account_id: id, token }))
}

/// Extends a held lease. False when the lease was taken back or replaced (this sync must stop writing).
pub async fn renew_lease(db: impl PgExecutor<'_>, lease: Lease, ttl: std::time::Duration) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        r#"UPDATE integration_accounts SET lease_expires_at = now() + make_interval(secs => $3)
           WHERE id = $1 AND lease_token = $2 AND lease_owner IS NOT NULL"#,
    )
    .bind(lease.account_id)
    .bind(lease.token)
    .bind(ttl.as_secs_f64())
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How a sync that stopped unfinished hands its work back: the lease is released with a new fencing
/// token (so a straggler of it can write nothing more), the requests it covered wait again (S = D), plus
/// one new request, due when the stopped sync started, so the re-run comes first in its app's turn.
const TAKE_BACK: &str = r#"lease_token = lease_token + 1, lease_owner = NULL, lease_expires_at = NULL,
    sync_started_seq = sync_served_seq, sync_request_seq = sync_request_seq + 1,
    sync_requested_at = COALESCE(sync_requested_at, last_sync_started_at, now()),
    sync_requested_trigger = COALESCE(sync_requested_trigger, 'retry')"#;

/// Takes back the leases matching `condition` (SQL on the account row, with one `f64` parameter `$1`).
/// Returns how many.
pub(crate) async fn take_back(db: impl PgExecutor<'_>, condition: &str, param: f64) -> Result<u64, sqlx::Error> {
    let sql = format!("UPDATE integration_accounts SET {TAKE_BACK} WHERE {condition}");
    Ok(sqlx::query(&sql).bind(param).execute(db).await?.rows_affected())
}

/// Syncs whose lease lapsed: their worker died or lost Postgres for longer than the lease TTL (a live
/// worker renews every third of it). Their requests wait again and are fed at once. Returns how many.
pub async fn reap_lapsed(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    take_back(
        db,
        "lease_owner IS NOT NULL AND lease_expires_at < now() - make_interval(secs => $1)",
        0.0,
    )
    .await
}

/// A worker that shuts down hands back the syncs it did not finish, so they run again on another worker
/// at the next scheduler tick instead of after the lease TTL. Returns how many.
pub async fn abandon_owned(db: impl PgExecutor<'_>, owner: &str) -> Result<u64, sqlx::Error> {
    let sql = format!("UPDATE integration_accounts SET {TAKE_BACK} WHERE lease_owner = $1");
    Ok(sqlx::query(&sql).bind(owner).execute(db).await?.rows_affected())
}

/// Checks, inside the caller's transaction, that `lease` is still the newest one, and keeps it so until
/// commit (a newer lease must wait for this transaction). False means a newer sync took over.
pub async fn hold_fence(conn: &mut PgConnection, lease: Lease) -> Result<bool, sqlx::Error> {
    let current: Option<i64> =
        sqlx::query_scalar("SELECT lease_token FROM integration_accounts WHERE id = $1 FOR SHARE")
            .bind(lease.account_id)
            .fetch_optional(conn)
            .await?;
    Ok(current == Some(lease.token))
}

/// Marks a finished successful sync, merges `metadata` (a JSON object, e.g. shop info) into the account's
/// metadata, and releases the lease. False if the lease was lost.
pub async fn record_success(
    db: impl PgExecutor<'_>,
    lease: Lease,
    metadata: Option<&Value>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        r#"UPDATE integration_accounts
           SET status = 'active', last_sync_at = now(), last_sync_finished_at = now(), sync_count = sync_count + 1,
               last_error = NULL, consecutive_failures = 0,
               metadata = metadata || COALESCE($3::jsonb, '{}'),
               sync_served_seq = sync_started_seq,
               lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
           WHERE id = $1 AND lease_token = $2"#,
    )
    .bind(lease.account_id)
    .bind(lease.token)
    .bind(metadata)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Marks a failed sync and releases the lease. The `pause_after`-th failure in a row pauses the account
/// with the error as the reason. Returns whether the lease was still held and whether the account is now
/// paused.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    lease: Lease,
    error: &str,
    pause_after: i32,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar(
        r#"UPDATE integration_accounts
           SET status = 'error', error_count = error_count + 1, last_error = $3, last_sync_finished_at = now(),
               consecutive_failures = consecutive_failures + 1,
               paused_at = CASE WHEN consecutive_failures + 1 >= $4 THEN COALESCE(paused_at, now()) ELSE paused_at END,
               paused_reason = CASE WHEN consecutive_failures + 1 >= $4
                                    THEN format('%s failed syncs in a row; last: %s', consecutive_failures + 1, $3)
                                    ELSE paused_reason END,
               sync_served_seq = sync_started_seq,
               lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
           WHERE id = $1 AND lease_token = $2
           RETURNING paused_at IS NOT NULL"#,
    )
    .bind(lease.account_id)
    .bind(lease.token)
    .bind(error)
    .bind(pause_after.max(1))
    .fetch_optional(db)
    .await
}

/// Marks a sync that failed because the marketplace no longer accepts the shop's authorization (revoked,
/// or expired past refreshing), and releases the lease. The account waits for the seller: it is paused,
/// so the scheduler leaves it alone, until new credentials (Reconnect) lift the pause. False if the lease
/// was lost.
pub async fn record_needs_reauthorization(
    db: impl PgExecutor<'_>,
    lease: Lease,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        r#"UPDATE integration_accounts
           SET status = 'needs_reauthorization', error_count = error_count + 1, last_error = $3,
               last_sync_finished_at = now(), consecutive_failures = consecutive_failures + 1,
               paused_at = COALESCE(paused_at, now()),
               paused_reason = 'the shop''s authorization lapsed: reconnect it to sync again',
               sync_served_seq = sync_started_seq,
               lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
           WHERE id = $1 AND lease_token = $2"#,
    )
    .bind(lease.account_id)
    .bind(lease.token)
    .bind(error)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Saves how far orders have been read, fenced by the lease.
pub async fn save_orders_cursor(
    conn: &mut PgConnection,
    lease: Lease,
    cursor: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE integration_accounts SET orders_cursor = $3 WHERE id = $1 AND lease_token = $2")
        .bind(lease.account_id)
        .bind(lease.token)
        .bind(cursor)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Saves (or, with `None`, clears) the cursor of the next product page of an unfinished catalog pass
/// (the marketplace's page number or page token), fenced.
pub async fn save_products_cursor(
    conn: &mut PgConnection,
    lease: Lease,
    next_page: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE integration_accounts SET products_cursor = $3 WHERE id = $1 AND lease_token = $2")
        .bind(lease.account_id)
        .bind(lease.token)
        .bind(next_page)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn products_cursor(db: impl PgExecutor<'_>, id: AccountId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT products_cursor FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
}

/// A job used its page budget: release the lease and leave the rest as a new waiting request (the
/// caller feeds it at once, so it queues behind the jobs already waiting). Counters and status stay as
/// they are until the sync completes. False if the lease was lost.
pub async fn yield_for_continuation(db: impl PgExecutor<'_>, lease: Lease) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        r#"UPDATE integration_accounts
           SET lease_owner = NULL, lease_expires_at = NULL,
               sync_started_seq = sync_served_seq, sync_request_seq = sync_request_seq + 1,
               sync_requested_at = COALESCE(sync_requested_at, now()),
               sync_requested_trigger = COALESCE(sync_requested_trigger, 'continuation')
           WHERE id = $1 AND lease_token = $2"#,
    )
    .bind(lease.account_id)
    .bind(lease.token)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn orders_cursor(db: impl PgExecutor<'_>, id: AccountId) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT orders_cursor FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
}

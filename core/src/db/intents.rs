//! Sync intents: every wish to sync an account (a due schedule, a sync-now, a sync-all, the rest of a
//! sync that used its page budget, the re-run of a sync whose worker died) and how it reaches a worker.
//!
//! Intents live in Postgres, on the account row; Redis only ever holds the few that have been fed to the
//! workers, so a Redis that loses its data loses nothing, and a backlog of thousands never reaches
//! apalis-redis (which wedges past ~8,000 due jobs).
//!
//! # Bookkeeping
//!
//! Requests are numbered per account: `sync_request_seq` (R, the newest request), `sync_started_seq` (S,
//! the newest request the running or last started sync covers, set when it starts) and `sync_served_seq`
//! (D, what the last finished sync covered). A job carries the number of the request it was fed for.
//! `sync_requested_at` is when the newest unstarted request is due, `sync_enqueued_at` when its job was
//! pushed. The database enforces (migration `request_sequence`):
//!
//! 1. D ≤ S ≤ R. A sync serves only requests made before it started; nothing moves a number back except
//!    a sync that stopped unfinished, whose covered requests become waiting again (S = D, see
//!    [`crate::db::leases`]).
//! 2. `sync_requested_at` is set exactly when a request waits for a start (R > S).
//! 3. A job is out (`sync_enqueued_at` set) only for a waiting request and only while no worker holds
//!    the lease: starting a sync consumes the job, and a sync feeds its own follow-up when it ends.
//!
//! From these: a waiting request is always either fed (a job is out), covered by the sync running now
//! (which feeds the follow-up when it ends, or whose lapsed lease the scheduler reaps), or feedable by
//! the next scheduler tick. A job whose number is ≤ D is served and skipped; a job that finds the account
//! busy needs nothing recorded, because the running sync or its follow-up covers it. The only state a
//! process cannot observe is a job Redis dropped while keeping the rest (a flush or an empty restart is
//! observed: see `SyncQueue::mark_epoch`); [`repair`] re-feeds those after `requeue_after` and counts it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{AccountId, SyncTrigger};

/// Records that someone asked for a sync now (sync-now, API or console). A waiting request is joined
/// (its due time moves to now if a sync-all had spread it into the future); the number always grows, so
/// the sync that serves this request starts after it. Returns the waiting request's number and due time,
/// or `None` for unknown, disabled or paused accounts.
pub async fn request_sync(
    db: impl PgExecutor<'_>,
    id: AccountId,
    trigger: SyncTrigger,
) -> Result<Option<SyncRequest>, sqlx::Error> {
    sqlx::query_as(
        r#"UPDATE integration_accounts
           SET sync_request_seq = sync_request_seq + 1,
               sync_requested_trigger = CASE WHEN sync_requested_at IS NULL OR sync_requested_at > now()
                                             THEN $2 ELSE sync_requested_trigger END,
               -- LEAST ignores NULL: a new request is due now, a waiting one keeps an earlier time.
               sync_requested_at = LEAST(sync_requested_at, now())
           WHERE id = $1 AND enabled AND paused_at IS NULL
           RETURNING id, sync_request_seq AS seq, sync_requested_at AS requested_at"#,
    )
    .bind(id)
    .bind(trigger.as_str())
    .fetch_optional(db)
    .await
}

/// A recorded sync request.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct SyncRequest {
    pub id: AccountId,
    pub seq: i64,
    pub requested_at: DateTime<Utc>,
}

/// Records a sync intent for every enabled account of the integration (or of `only` among them). With a
/// `spread`, the intents become due one after another, at most a second apart, within that time; the
/// scheduler feeds them to the queue as they come due and as the queue has room, so any number of
/// accounts is accepted at once. Accounts with a request already waiting keep its due time.
pub async fn request_sync_all(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    only: Option<&[AccountId]>,
    spread: Duration,
) -> Result<Vec<SyncRequest>, sqlx::Error> {
    let only: Option<Vec<i64>> = only.map(|ids| ids.iter().map(|id| id.0).collect());
    sqlx::query_as(
        r#"
        WITH targets AS (
            -- One second apart at most, so a small sync-all is not stretched over the whole window.
            SELECT id, (row_number() OVER (ORDER BY id) - 1) * LEAST($3 / count(*) OVER (), 1.0) AS offset_secs
            FROM integration_accounts
            WHERE integration_id = $1 AND enabled AND paused_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2))
        )
        UPDATE integration_accounts a
        SET sync_request_seq = a.sync_request_seq + 1,
            sync_requested_trigger = CASE WHEN a.sync_requested_at IS NULL THEN 'sync_all' ELSE a.sync_requested_trigger END,
            sync_requested_at = COALESCE(a.sync_requested_at, now() + make_interval(secs => t.offset_secs))
        FROM targets t WHERE a.id = t.id
        RETURNING a.id, a.sync_request_seq AS seq, a.sync_requested_at AS requested_at
        "#,
    )
    .bind(integration_id)
    .bind(&only)
    .bind(spread.as_secs_f64())
    .fetch_all(db)
    .await
}

/// Turns up to `limit` due schedules into intents and moves each account's next due time one interval
/// (plus a per-account jitter of up to a tenth of the interval, so accounts created together drift apart)
/// ahead. Returns how many accounts were due. Runs inside the caller's transaction; replicas claim
/// disjoint rows (`FOR UPDATE SKIP LOCKED`).
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
        SET next_sync_at = next_sync_due(greatest(due.next_sync_at, now()), a.id, a.sync_interval_minutes),
            sync_request_seq = a.sync_request_seq + 1,
            -- A waiting intent covers the slot, unless it is one spread into the future by a sync-all:
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

/// An intent claimed for feeding: push its job, then commit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FedIntent {
    pub id: AccountId,
    pub seq: i64,
    pub requested_at: DateTime<Utc>,
    pub trigger: Option<String>,
}

impl FedIntent {
    pub fn trigger(&self) -> SyncTrigger {
        self.trigger
            .as_deref()
            .and_then(SyncTrigger::parse)
            .unwrap_or(SyncTrigger::Manual)
    }
}

/// What makes a row feedable, repeated on the locked row: under READ COMMITTED, `FOR UPDATE SKIP LOCKED`
/// re-checks the newest version of a row another replica changed after this statement's snapshot only
/// against the conditions written on that row.
const FEEDABLE: &str = r#"a.sync_requested_at IS NOT NULL AND a.sync_requested_at <= now() AND a.sync_enqueued_at IS NULL
    AND a.enabled AND a.paused_at IS NULL AND a.lease_owner IS NULL"#;

/// Claims up to `limit` waiting intents and marks them enqueued; the caller pushes their jobs before it
/// commits. Accounts that are syncing wait for their sync to end (it feeds its own follow-up).
///
/// Order is fair across apps: the oldest intent of every app first, then the second of every app, and so
/// on, so one app's thousand-account sync-all does not starve another app's single account. The apps are
/// found by skipping through the waiting index and each app's oldest intents read from it, so the cost
/// is about apps × `limit` index entries however many intents wait, whatever the planner's statistics.
pub async fn claim_feedable(conn: &mut PgConnection, limit: i64) -> Result<Vec<FedIntent>, sqlx::Error> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        r#"
        WITH RECURSIVE apps AS (
            (SELECT a.app_key FROM integration_accounts a
             WHERE a.sync_requested_at IS NOT NULL AND a.sync_enqueued_at IS NULL AND a.enabled AND a.paused_at IS NULL
             ORDER BY a.app_key LIMIT 1)
            UNION ALL
            SELECT (SELECT a.app_key FROM integration_accounts a
                    WHERE a.sync_requested_at IS NOT NULL AND a.sync_enqueued_at IS NULL AND a.enabled
                      AND a.paused_at IS NULL AND a.app_key > apps.app_key
                    ORDER BY a.app_key LIMIT 1)
            FROM apps WHERE apps.app_key IS NOT NULL
        ), candidates AS MATERIALIZED (
            SELECT c.id, c.sync_requested_at,
                   row_number() OVER (PARTITION BY apps.app_key ORDER BY c.sync_requested_at, c.id) AS turn
            FROM apps CROSS JOIN LATERAL (
                SELECT a.id, a.sync_requested_at FROM integration_accounts a
                WHERE a.app_key = apps.app_key AND {FEEDABLE}
                ORDER BY a.sync_requested_at, a.id
                LIMIT $1
            ) c
            WHERE apps.app_key IS NOT NULL
        ), picked AS (
            SELECT a.id FROM integration_accounts a JOIN candidates c ON c.id = a.id
            WHERE {FEEDABLE}
            ORDER BY c.turn, c.sync_requested_at, a.id
            LIMIT $1
            FOR UPDATE OF a SKIP LOCKED
        )
        UPDATE integration_accounts a SET sync_enqueued_at = now()
        FROM picked WHERE a.id = picked.id
        RETURNING a.id, a.sync_request_seq AS seq, a.sync_requested_at AS requested_at,
                  a.sync_requested_trigger AS trigger
        "#
    );
    sqlx::query_as(&sql).bind(limit).fetch_all(conn).await
}

/// Claims one account's waiting intent if it is feedable now (the fast path of a sync-now and of a
/// sync's follow-up); the caller pushes its job before it commits. `None` when there is nothing to feed,
/// a job is already out, or the account is syncing.
pub async fn claim_one(conn: &mut PgConnection, id: AccountId) -> Result<Option<FedIntent>, sqlx::Error> {
    let sql = format!(
        r#"UPDATE integration_accounts a SET sync_enqueued_at = now()
           WHERE a.id = $1 AND {FEEDABLE}
           RETURNING a.id, a.sync_request_seq AS seq, a.sync_requested_at AS requested_at,
                     a.sync_requested_trigger AS trigger"#
    );
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await
}

/// A job the worker could not run (the account is disabled or paused) is consumed: no job is out any
/// more, so enabling or resuming the account feeds its waiting request again.
pub async fn job_dropped(db: impl PgExecutor<'_>, id: AccountId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE integration_accounts SET sync_enqueued_at = NULL WHERE id = $1 AND sync_enqueued_at IS NOT NULL",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
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

/// What [`repair`] found and healed: states the bookkeeping says should not last.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    /// Leases still renewed long after their job's timeout: the renewal outlived its job. Taken back.
    pub lease_past_job_timeout: u64,
    /// Jobs pushed longer than `requeue_after` ago that no worker started: lost by Redis without a flush
    /// (or a queue that has waited that long). Fed again.
    pub job_not_started: u64,
}

impl Repairs {
    /// The metric label of each kind, with its count.
    pub fn by_kind(&self) -> [(&'static str, u64); 2] {
        [
            ("lease_past_job_timeout", self.lease_past_job_timeout),
            ("job_not_started", self.job_not_started),
        ]
    }
}

/// Heals what the bookkeeping says cannot happen but time can still produce: a lease renewed long past
/// its job's timeout (`job_timeout` plus a minute of grace), and a job out for longer than
/// `requeue_after`. Both are counted; an alert fires on any.
pub async fn repair(
    conn: &mut PgConnection,
    job_timeout: Duration,
    requeue_after: Duration,
) -> Result<Repairs, sqlx::Error> {
    let overdue = (job_timeout + Duration::from_secs(60)).as_secs_f64();
    let lease_past_job_timeout = crate::db::leases::take_back(
        &mut *conn,
        "lease_owner IS NOT NULL AND last_sync_started_at < now() - make_interval(secs => $1)",
        overdue,
    )
    .await?;
    let job_not_started = sqlx::query(
        r#"UPDATE integration_accounts SET sync_enqueued_at = NULL
           WHERE sync_enqueued_at IS NOT NULL AND sync_enqueued_at < now() - make_interval(secs => $1)"#,
    )
    .bind(requeue_after.as_secs_f64())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Repairs {
        lease_past_job_timeout,
        job_not_started,
    })
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
/// Freshness follows [`crate::domain::Account::freshness`].
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

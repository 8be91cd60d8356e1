//! `integration_logs`: one row per sync attempt and per audited API call.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};

use crate::domain::{AccountId, Outcome, SyncTrigger};

/// One sync attempt, as logged.
#[derive(Debug, Clone)]
pub struct SyncLog<'a> {
    pub integration_id: &'a str,
    pub account_id: AccountId,
    pub trigger: SyncTrigger,
    pub outcome: Outcome,
    pub message: Option<String>,
    pub products_synced: i32,
    pub orders_synced: i32,
    pub details: Value,
    pub duration_ms: i64,
}

pub async fn insert_sync(db: impl PgExecutor<'_>, log: &SyncLog<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_logs
           (integration_id, account_id, kind, trigger, outcome, message, products_synced, orders_synced, details, duration_ms)
           VALUES ($1, $2, 'sync', $3, $4, $5, $6, $7, $8, $9)"#,
    )
    .bind(log.integration_id)
    .bind(log.account_id)
    .bind(log.trigger.as_str())
    .bind(log.outcome.as_str())
    .bind(&log.message)
    .bind(log.products_synced)
    .bind(log.orders_synced)
    .bind(&log.details)
    .bind(log.duration_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a mutating API call. `details` must never hold secret values.
pub async fn insert_audit(
    db: impl PgExecutor<'_>,
    integration_id: Option<&str>,
    account_id: Option<AccountId>,
    actor_user_id: Option<i64>,
    action: &str,
    details: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_logs (integration_id, account_id, kind, outcome, action, actor_user_id, details)
           VALUES ($1, $2, 'audit', 'success', $3, $4, $5)"#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(action)
    .bind(actor_user_id)
    .bind(details)
    .execute(db)
    .await?;
    Ok(())
}

/// A log row as read back.
#[derive(Debug, Clone, FromRow)]
pub struct LogEntry {
    pub id: i64,
    pub account_id: Option<AccountId>,
    pub kind: String,
    pub trigger: Option<String>,
    pub outcome: String,
    pub action: Option<String>,
    pub message: Option<String>,
    pub products_synced: i32,
    pub orders_synced: i32,
    pub details: Value,
    pub duration_ms: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Newest first.
pub async fn for_account(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    limit: i64,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT id, account_id, kind, trigger, outcome, action, message, products_synced, orders_synced, details,
                  duration_ms, created_at
           FROM integration_logs WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"#,
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Filters of the log listing.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub outcome: Option<String>,
    pub kind: Option<String>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// One page of an account's log, newest first, and the total matching the filters.
pub async fn page(db: &sqlx::PgPool, account_id: AccountId, q: &LogQuery) -> Result<(Vec<LogEntry>, i64), sqlx::Error> {
    let filter = "account_id = $1 AND ($2::text IS NULL OR outcome = $2) AND ($3::text IS NULL OR kind = $3)";
    let rows = sqlx::query_as(&format!(
        r#"SELECT id, account_id, kind, trigger, outcome, action, message, products_synced, orders_synced, details,
                  duration_ms, created_at
           FROM integration_logs WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"#
    ))
    .bind(account_id)
    .bind(&q.outcome)
    .bind(&q.kind)
    .bind(q.per_page)
    .bind((q.page - 1) * q.per_page)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT count(*) FROM integration_logs WHERE {filter}"))
        .bind(account_id)
        .bind(&q.outcome)
        .bind(&q.kind)
        .fetch_one(db)
        .await?;
    Ok((rows, total))
}

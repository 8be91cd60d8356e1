//! Figures for the account list and dashboards, computed from synced products and orders.
//!
//! "Today" is the calendar day in the merchants' zone (Asia/Jakarta by default); today so far is compared
//! with yesterday until the same time of day, not with all of yesterday. Figures read the neutral
//! statuses ([`OrderStatus`], [`ProductStatus`]), whatever the marketplace: "pending" orders are paid and
//! still (partly) to ship ([`OrderStatus::is_pending`]); revenue counts orders neither unpaid nor cancelled
//! ([`OrderStatus::counts_as_revenue`]); active products are on sale.
//!
//! [`OrderStatus`]: crate::domain::OrderStatus
//! [`ProductStatus`]: crate::domain::ProductStatus
//! [`OrderStatus::is_pending`]: crate::domain::OrderStatus::is_pending
//! [`OrderStatus::counts_as_revenue`]: crate::domain::OrderStatus::counts_as_revenue

use serde::Serialize;
use sqlx::{FromRow, PgExecutor};

use crate::domain::AccountId;

/// The zone that defines "today" in reports.
pub const REPORT_TIME_ZONE: &str = "Asia/Jakarta";

/// Per-account figures.
#[derive(Debug, Clone, Default, Serialize, FromRow)]
pub struct AccountStats {
    #[serde(skip)]
    pub account_id: AccountId,
    pub total_products: i64,
    pub active_products: i64,
    pub total_orders: i64,
    pub pending_orders: i64,
    pub orders_today: i64,
    pub revenue_today: i64,
    pub orders_yesterday: i64,
    pub revenue_yesterday: i64,
    /// Yesterday until the current time of day: the same hours as today so far.
    pub orders_yesterday_until_now: i64,
    pub revenue_yesterday_until_now: i64,
    /// Orders per day over the last 30 days.
    pub daily_order_average: f64,
}

/// Figures for the accounts `only` of an integration (all of them with `None`).
pub async fn account_stats(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    only: Option<&[AccountId]>,
) -> Result<Vec<AccountStats>, sqlx::Error> {
    let only: Option<Vec<i64>> = only.map(|ids| ids.iter().map(|id| id.0).collect());
    sqlx::query_as(
        r#"
        WITH bounds AS (
            SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS today,
                   (date_trunc('day', now() AT TIME ZONE $2) - interval '1 day') AT TIME ZONE $2 AS yesterday,
                   (now() AT TIME ZONE $2 - interval '1 day') AT TIME ZONE $2 AS yesterday_now
        )
        SELECT a.id AS account_id,
               coalesce(p.total, 0) AS total_products,
               coalesce(p.active, 0) AS active_products,
               coalesce(o.total, 0) AS total_orders,
               coalesce(o.pending, 0) AS pending_orders,
               coalesce(o.today, 0) AS orders_today,
               coalesce(o.revenue_today, 0)::bigint AS revenue_today,
               coalesce(o.yesterday, 0) AS orders_yesterday,
               coalesce(o.revenue_yesterday, 0)::bigint AS revenue_yesterday,
               coalesce(o.yesterday_until_now, 0) AS orders_yesterday_until_now,
               coalesce(o.revenue_yesterday_until_now, 0)::bigint AS revenue_yesterday_until_now,
               round(coalesce(o.last_30_days, 0) / 30.0, 1)::float8 AS daily_order_average
        FROM integration_accounts a
        CROSS JOIN bounds b
        LEFT JOIN LATERAL (
            SELECT count(*) AS total, count(*) FILTER (WHERE status = 'active') AS active
            FROM marketplace_products WHERE account_id = a.id
        ) p ON true
        LEFT JOIN LATERAL (
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE status IN ('awaiting_shipment', 'partially_shipped', 'awaiting_collection'))
                       AS pending,
                   count(*) FILTER (WHERE order_created_at >= b.today) AS today,
                   sum(total_amount) FILTER (WHERE order_created_at >= b.today AND status NOT IN ('unpaid', 'cancelled'))
                       AS revenue_today,
                   count(*) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.today) AS yesterday,
                   sum(total_amount) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.today
                                             AND status NOT IN ('unpaid', 'cancelled')) AS revenue_yesterday,
                   count(*) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.yesterday_now)
                       AS yesterday_until_now,
                   sum(total_amount) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.yesterday_now
                                             AND status NOT IN ('unpaid', 'cancelled')) AS revenue_yesterday_until_now,
                   count(*) FILTER (WHERE order_created_at >= now() - interval '30 days') AS last_30_days
            FROM marketplace_orders WHERE account_id = a.id
        ) o ON true
        WHERE a.integration_id = $1 AND ($3::bigint[] IS NULL OR a.id = ANY($3))
        ORDER BY a.id
        "#,
    )
    .bind(integration_id)
    .bind(REPORT_TIME_ZONE)
    .bind(only)
    .fetch_all(db)
    .await
}

/// Totals over the accounts `only` of an integration (all of them with `None`), in one pass instead of
/// summing per-account figures.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Totals {
    pub total_accounts: i64,
    pub active_accounts: i64,
    /// Accounts whose last sync failed.
    pub error_accounts: i64,
    /// The latest finished sync of any of the accounts.
    pub last_sync_at: Option<chrono::DateTime<chrono::Utc>>,
    pub total_products: i64,
    pub active_products: i64,
    pub orders_today: i64,
    pub pending_orders: i64,
    pub revenue_today: i64,
}

pub async fn totals(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    only: Option<&[AccountId]>,
) -> Result<Totals, sqlx::Error> {
    let only: Option<Vec<i64>> = only.map(|ids| ids.iter().map(|id| id.0).collect());
    sqlx::query_as(
        r#"
        WITH accounts AS (
            SELECT id, enabled, status, last_sync_at FROM integration_accounts
            WHERE integration_id = $1 AND ($3::bigint[] IS NULL OR id = ANY($3))
        ),
        bounds AS (SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS today)
        -- Each figure filters on what its index holds (see migrations/*_report_indexes.sql), so none of
        -- them reads the rows themselves.
        SELECT (SELECT count(*) FROM accounts) AS total_accounts,
               (SELECT count(*) FROM accounts WHERE enabled AND status = 'active') AS active_accounts,
               (SELECT count(*) FROM accounts WHERE status = 'error') AS error_accounts,
               (SELECT max(last_sync_at) FROM accounts) AS last_sync_at,
               (SELECT count(*) FROM marketplace_products p
                 WHERE p.account_id IN (SELECT id FROM accounts)) AS total_products,
               (SELECT count(*) FROM marketplace_products p
                 WHERE p.account_id IN (SELECT id FROM accounts) AND p.status = 'active') AS active_products,
               (SELECT count(*) FROM marketplace_orders o, bounds b
                 WHERE o.account_id IN (SELECT id FROM accounts) AND o.order_created_at >= b.today) AS orders_today,
               (SELECT count(*) FROM marketplace_orders o
                 WHERE o.account_id IN (SELECT id FROM accounts)
                   AND o.status IN ('awaiting_shipment', 'partially_shipped', 'awaiting_collection'))
                   AS pending_orders,
               (SELECT coalesce(sum(o.total_amount), 0)::bigint FROM marketplace_orders o, bounds b
                 WHERE o.account_id IN (SELECT id FROM accounts) AND o.order_created_at >= b.today
                   AND o.status NOT IN ('unpaid', 'cancelled')) AS revenue_today
        "#,
    )
    .bind(integration_id)
    .bind(REPORT_TIME_ZONE)
    .bind(only)
    .fetch_one(db)
    .await
}

/// Percent change from `before` to `now`, rounded to one decimal; `None` when there is nothing to compare.
pub fn change_percent(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| ((now - before) as f64 * 1000.0 / before as f64).round() / 10.0)
}

/// The current time of day in the report zone, `HH:MM`: where the same-hours comparison with yesterday
/// ends.
pub async fn report_clock(db: impl PgExecutor<'_>) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT to_char(now() AT TIME ZONE $1, 'HH24:MI')")
        .bind(REPORT_TIME_ZONE)
        .fetch_one(db)
        .await
}

/// Sync attempts and failures in one hour.
#[derive(Debug, Clone, FromRow)]
pub struct HourlyActivity {
    pub hour: chrono::DateTime<chrono::Utc>,
    pub syncs: i64,
    pub failures: i64,
}

/// Sync attempts and failures per hour over the last 24 hours (oldest first, every hour present), for the
/// accounts in `only` or, with `None`, every account of the integration.
pub async fn hourly_activity(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    only: Option<&[AccountId]>,
) -> Result<Vec<HourlyActivity>, sqlx::Error> {
    let only: Option<Vec<i64>> = only.map(|ids| ids.iter().map(|id| id.0).collect());
    sqlx::query_as(
        r#"
        WITH hours AS (
            SELECT generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()),
                                   interval '1 hour') AS hour
        )
        SELECT h.hour,
               count(l.id) AS syncs,
               count(l.id) FILTER (WHERE l.outcome = 'failure') AS failures
        FROM hours h
        LEFT JOIN integration_logs l
          ON l.kind = 'sync' AND l.integration_id = $1
         AND l.created_at >= h.hour AND l.created_at < h.hour + interval '1 hour'
         AND ($2::bigint[] IS NULL OR l.account_id = ANY($2))
        GROUP BY h.hour
        ORDER BY h.hour
        "#,
    )
    .bind(integration_id)
    .bind(only)
    .fetch_all(db)
    .await
}

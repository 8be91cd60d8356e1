//! Figures for the account list and dashboards, computed from synced products and orders.
//!
//! "Today" is the calendar day in the merchants' zone (Asia/Jakarta by default). "Pending" orders are
//! paid but not yet shipped (status 220, 221, 400, 450). Revenue counts orders that were not cancelled
//! (status >= 100).

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
    /// Orders per day over the last 30 days.
    pub daily_order_average: f64,
}

/// Figures for every account of an integration, or only for `only`.
pub async fn account_stats(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    only: Option<AccountId>,
) -> Result<Vec<AccountStats>, sqlx::Error> {
    sqlx::query_as(
        r#"
        WITH bounds AS (
            SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS today,
                   (date_trunc('day', now() AT TIME ZONE $2) - interval '1 day') AT TIME ZONE $2 AS yesterday
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
               round(coalesce(o.last_30_days, 0) / 30.0, 1)::float8 AS daily_order_average
        FROM integration_accounts a
        CROSS JOIN bounds b
        LEFT JOIN LATERAL (
            SELECT count(*) AS total, count(*) FILTER (WHERE status IN (1, 2)) AS active
            FROM marketplace_products WHERE account_id = a.id
        ) p ON true
        LEFT JOIN LATERAL (
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE status IN (220, 221, 400, 450)) AS pending,
                   count(*) FILTER (WHERE order_created_at >= b.today) AS today,
                   sum(total_amount) FILTER (WHERE order_created_at >= b.today AND status >= 100) AS revenue_today,
                   count(*) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.today) AS yesterday,
                   sum(total_amount) FILTER (WHERE order_created_at >= b.yesterday AND order_created_at < b.today
                                             AND status >= 100) AS revenue_yesterday,
                   count(*) FILTER (WHERE order_created_at >= now() - interval '30 days') AS last_30_days
            FROM marketplace_orders WHERE account_id = a.id
        ) o ON true
        WHERE a.integration_id = $1 AND ($3::bigint IS NULL OR a.id = $3)
        ORDER BY a.id
        "#,
    )
    .bind(integration_id)
    .bind(REPORT_TIME_ZONE)
    .bind(only)
    .fetch_all(db)
    .await
}

/// Percent change from `before` to `now`, rounded to one decimal; `None` when there is nothing to compare.
pub fn change_percent(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| ((now - before) as f64 * 1000.0 / before as f64).round() / 10.0)
}

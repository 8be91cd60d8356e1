//! `erp_stock_levels`: what the ERP wants each shop to show, and what was last pushed.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::AccountId;

/// One stock level to push.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StockLevel {
    pub sku: String,
    pub quantity: i64,
}

/// Rows whose quantity differs from the last pushed one, by SKU.
pub async fn changed(db: impl PgExecutor<'_>, account_id: AccountId) -> Result<Vec<StockLevel>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT sku, quantity FROM erp_stock_levels
           WHERE account_id = $1 AND pushed_quantity IS DISTINCT FROM quantity ORDER BY sku"#,
    )
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// Records pushed rows (one statement for the batch). A row the ERP changed meanwhile stays changed.
pub async fn mark_pushed(
    conn: &mut PgConnection,
    account_id: AccountId,
    rows: &[StockLevel],
) -> Result<(), sqlx::Error> {
    let skus: Vec<&str> = rows.iter().map(|r| r.sku.as_str()).collect();
    let quantities: Vec<i64> = rows.iter().map(|r| r.quantity).collect();
    sqlx::query(
        r#"UPDATE erp_stock_levels s SET pushed_quantity = t.quantity, pushed_at = now(), push_error = NULL
           FROM UNNEST($2::text[], $3::bigint[]) AS t(sku, quantity)
           WHERE s.account_id = $1 AND s.sku = t.sku"#,
    )
    .bind(account_id)
    .bind(&skus)
    .bind(&quantities)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records rows the marketplace refused for good (e.g. an unknown SKU), with its reason.
pub async fn mark_refused(
    conn: &mut PgConnection,
    account_id: AccountId,
    rows: &[(String, String)],
) -> Result<(), sqlx::Error> {
    let skus: Vec<&str> = rows.iter().map(|(sku, _)| sku.as_str()).collect();
    let reasons: Vec<&str> = rows.iter().map(|(_, reason)| reason.as_str()).collect();
    sqlx::query(
        r#"UPDATE erp_stock_levels s SET push_error = t.reason
           FROM UNNEST($2::text[], $3::text[]) AS t(sku, reason)
           WHERE s.account_id = $1 AND s.sku = t.sku"#,
    )
    .bind(account_id)
    .bind(&skus)
    .bind(&reasons)
    .execute(conn)
    .await?;
    Ok(())
}

//! What a sync brings back: products and orders per account, and their `integration_mappings` rows.
//! Each page is written with one statement (UNNEST of column arrays), never row by row.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::AccountId;
use crate::marketplace::types::{Order, Product, WithRaw};

/// Upserts one page of products and their mappings. Returns the number of products written.
///
/// With `share_catalog` (the platform setting "share product catalog across accounts"), a product maps to
/// the integration's first product with the same SKU, so one local product stands for the same item in
/// every shop; otherwise each product maps to its own row.
pub async fn upsert_products(
    conn: &mut PgConnection,
    integration_id: &str,
    account_id: AccountId,
    page: &[WithRaw<Product>],
    share_catalog: bool,
) -> Result<usize, sqlx::Error> {
    // A statement may touch a row only once: keep the last copy of a product repeated in one page.
    let unique: BTreeMap<u64, &WithRaw<Product>> = page.iter().map(|p| (p.item.basic.product_id, p)).collect();
    if unique.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(unique.len());
    let (mut names, mut skus, mut prices, mut stocks, mut statuses, mut raws) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, p) in &unique {
        ids.push(*id as i64);
        names.push(p.item.basic.name.clone());
        skus.push(p.item.sku().map(str::to_owned));
        prices.push(p.item.price.value);
        stocks.push(p.item.stock_level());
        statuses.push(p.item.basic.status);
        raws.push(p.raw.clone());
    }
    sqlx::query(
        r#"
        WITH input AS (
            SELECT * FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::int[], $9::jsonb[])
                AS t(external_id, name, sku, price, stock, status, raw)
        ), written AS (
            INSERT INTO marketplace_products (account_id, external_id, name, sku, price, stock, status, raw, synced_at)
            SELECT $2, external_id, name, sku, price, stock, status, raw, now() FROM input
            ON CONFLICT (account_id, external_id) DO UPDATE
            SET name = EXCLUDED.name, sku = EXCLUDED.sku, price = EXCLUDED.price, stock = EXCLUDED.stock,
                status = EXCLUDED.status, raw = EXCLUDED.raw, synced_at = now()
            RETURNING id, external_id, sku
        )
        INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id, local_id)
        SELECT $1, $2, 'product', w.external_id::text,
               CASE WHEN $10 AND w.sku IS NOT NULL THEN coalesce(
                   (SELECT min(p.id) FROM marketplace_products p JOIN integration_accounts a ON a.id = p.account_id
                    WHERE a.integration_id = $1 AND p.sku = w.sku AND p.id < w.id),
                   w.id) ELSE w.id END
        FROM written w
        ON CONFLICT (account_id, entity_type, external_id) DO UPDATE
        SET local_id = EXCLUDED.local_id, last_synced_at = now(), updated_at = now()
        "#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(&ids)
    .bind(&names)
    .bind(&skus)
    .bind(&prices)
    .bind(&stocks)
    .bind(&statuses)
    .bind(&raws)
    .bind(share_catalog)
    .execute(conn)
    .await?;
    Ok(ids.len())
}

/// Upserts one page of orders and their mappings. Returns the number of orders written.
pub async fn upsert_orders(
    conn: &mut PgConnection,
    integration_id: &str,
    account_id: AccountId,
    page: &[WithRaw<Order>],
) -> Result<usize, sqlx::Error> {
    // Windows overlap a little, so the same order can arrive twice: dedupe by order id.
    let unique: BTreeMap<u64, &WithRaw<Order>> = page.iter().map(|o| (o.item.order_id, o)).collect();
    if unique.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(unique.len());
    let (mut invoices, mut statuses, mut totals, mut created, mut raws) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, o) in &unique {
        ids.push(*id as i64);
        invoices.push(o.item.invoice_ref_num.clone());
        statuses.push(o.item.order_status);
        totals.push(o.item.amt.ttl_amount);
        created.push(DateTime::<Utc>::from_timestamp(o.item.create_time, 0).unwrap_or_default());
        raws.push(o.raw.clone());
    }
    sqlx::query(
        r#"
        WITH input AS (
            SELECT * FROM UNNEST($3::bigint[], $4::text[], $5::int[], $6::bigint[], $7::timestamptz[], $8::jsonb[])
                AS t(external_id, invoice, status, total_amount, order_created_at, raw)
        ), written AS (
            INSERT INTO marketplace_orders (account_id, external_id, invoice, status, total_amount, order_created_at, raw, synced_at)
            SELECT $2, external_id, invoice, status, total_amount, order_created_at, raw, now() FROM input
            ON CONFLICT (account_id, external_id) DO UPDATE
            SET invoice = EXCLUDED.invoice, status = EXCLUDED.status, total_amount = EXCLUDED.total_amount,
                order_created_at = EXCLUDED.order_created_at, raw = EXCLUDED.raw, synced_at = now()
            RETURNING id, external_id
        )
        INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id, local_id)
        SELECT $1, $2, 'order', external_id::text, id FROM written
        ON CONFLICT (account_id, entity_type, external_id) DO UPDATE
        SET local_id = EXCLUDED.local_id, last_synced_at = now(), updated_at = now()
        "#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(&ids)
    .bind(&invoices)
    .bind(&statuses)
    .bind(&totals)
    .bind(&created)
    .bind(&raws)
    .execute(conn)
    .await?;
    Ok(ids.len())
}

/// Maps the account's shop.
pub async fn upsert_shop_mapping(
    conn: &mut PgConnection,
    integration_id: &str,
    account_id: AccountId,
    shop_id: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id)
           VALUES ($1, $2, 'shop', $3)
           ON CONFLICT (account_id, entity_type, external_id) DO UPDATE SET last_synced_at = now(), updated_at = now()"#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(shop_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Row counts of what an account holds (reports and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountCounts {
    pub products: i64,
    pub orders: i64,
    pub mappings: i64,
}

pub async fn counts(db: impl sqlx::PgExecutor<'_>, account_id: AccountId) -> Result<AccountCounts, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT (SELECT count(*) FROM marketplace_products WHERE account_id = $1) AS products,
                  (SELECT count(*) FROM marketplace_orders WHERE account_id = $1) AS orders,
                  (SELECT count(*) FROM integration_mappings WHERE account_id = $1) AS mappings"#,
    )
    .bind(account_id)
    .fetch_one(db)
    .await
}

/// Shop info as stored in the account's metadata.
pub fn shop_metadata(shop: &crate::marketplace::types::ShopInfo) -> Value {
    serde_json::to_value(shop).unwrap_or(Value::Null)
}

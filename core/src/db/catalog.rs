//! What a sync brings back: products and orders per account, and their `integration_mappings` rows.
//! Each page is written with one statement (UNNEST of column arrays), never row by row.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::{AccountId, CatalogOrder, CatalogProduct};

/// Orders external ids so that decimal ids (every marketplace's so far) come in numeric order.
fn id_order(id: &str) -> (usize, &str) {
    (id.len(), id)
}

/// Upserts one page of products and their mappings. Returns the number of products written.
///
/// With `share_catalog` (the platform setting "share product catalog across accounts"), a product maps to
/// the integration's first product with the same SKU, so one local product stands for the same item in
/// every shop; otherwise each product maps to its own row.
pub async fn upsert_products(
    conn: &mut PgConnection,
    integration_id: &str,
    account_id: AccountId,
    page: &[CatalogProduct],
    share_catalog: bool,
) -> Result<usize, sqlx::Error> {
    // A statement may touch a row only once: keep the last copy of a product repeated in one page.
    let unique: BTreeMap<(usize, &str), &CatalogProduct> = page.iter().map(|p| (id_order(&p.external_id), p)).collect();
    if unique.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(unique.len());
    let (mut names, mut skus, mut prices, mut stocks, mut warehouses) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut statuses, mut marketplace_statuses, mut raws) = (Vec::new(), Vec::new(), Vec::new());
    for p in unique.values() {
        ids.push(p.external_id.as_str());
        names.push(p.name.as_str());
        skus.push(p.sku.as_deref());
        prices.push(p.price);
        stocks.push(p.stock);
        warehouses.push(serde_json::to_value(&p.warehouse_stock).unwrap_or(Value::Array(Vec::new())));
        statuses.push(p.status.as_str());
        marketplace_statuses.push(p.marketplace_status.as_str());
        raws.push(&p.raw);
    }
    sqlx::query(
        r#"
        WITH input AS (
            SELECT * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::jsonb[],
                                 $9::text[], $10::text[], $11::jsonb[])
                AS t(external_id, name, sku, price, stock, warehouse_stock, status, marketplace_status, raw)
        ), written AS (
            INSERT INTO marketplace_products (account_id, external_id, name, sku, price, stock, warehouse_stock,
                                              status, marketplace_status, raw, synced_at)
            SELECT $2, external_id, name, sku, price, stock, warehouse_stock, status, marketplace_status, raw, now()
            FROM input
            ON CONFLICT (account_id, external_id) DO UPDATE
            SET name = EXCLUDED.name, sku = EXCLUDED.sku, price = EXCLUDED.price, stock = EXCLUDED.stock,
                warehouse_stock = EXCLUDED.warehouse_stock, status = EXCLUDED.status,
                marketplace_status = EXCLUDED.marketplace_status, raw = EXCLUDED.raw, synced_at = now()
            RETURNING id, external_id, sku
        )
        INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id, local_id)
        SELECT $1, $2, 'product', w.external_id,
               CASE WHEN $12 AND w.sku IS NOT NULL THEN coalesce(
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
    .bind(&warehouses)
    .bind(&statuses)
    .bind(&marketplace_statuses)
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
    page: &[CatalogOrder],
) -> Result<usize, sqlx::Error> {
    // Windows overlap a little, so the same order can arrive twice: dedupe by order id.
    let unique: BTreeMap<(usize, &str), &CatalogOrder> = page.iter().map(|o| (id_order(&o.external_id), o)).collect();
    if unique.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(unique.len());
    let (mut invoices, mut statuses, mut marketplace_statuses, mut totals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut created, mut updated, mut warehouses, mut raws) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for o in unique.values() {
        ids.push(o.external_id.as_str());
        invoices.push(o.invoice.as_str());
        statuses.push(o.status.as_str());
        marketplace_statuses.push(o.marketplace_status.as_str());
        totals.push(o.total);
        created.push(o.created_at);
        updated.push(o.updated_at);
        warehouses.push(o.warehouse_id.as_deref());
        raws.push(&o.raw);
    }
    sqlx::query(
        r#"
        WITH input AS (
            SELECT * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[],
                                 $9::timestamptz[], $10::text[], $11::jsonb[])
                AS t(external_id, invoice, status, marketplace_status, total_amount, order_created_at,
                     order_updated_at, warehouse_id, raw)
        ), written AS (
            INSERT INTO marketplace_orders (account_id, external_id, invoice, status, marketplace_status, total_amount,
                                            order_created_at, order_updated_at, warehouse_id, raw, synced_at)
            SELECT $2, external_id, invoice, status, marketplace_status, total_amount, order_created_at,
                   order_updated_at, warehouse_id, raw, now()
            FROM input
            ON CONFLICT (account_id, external_id) DO UPDATE
            SET invoice = EXCLUDED.invoice, status = EXCLUDED.status,
                marketplace_status = EXCLUDED.marketplace_status, total_amount = EXCLUDED.total_amount,
                order_created_at = EXCLUDED.order_created_at, order_updated_at = EXCLUDED.order_updated_at,
                warehouse_id = EXCLUDED.warehouse_id, raw = EXCLUDED.raw, synced_at = now()
            RETURNING id, external_id
        )
        INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id, local_id)
        SELECT $1, $2, 'order', external_id, id FROM written
        ON CONFLICT (account_id, entity_type, external_id) DO UPDATE
        SET local_id = EXCLUDED.local_id, last_synced_at = now(), updated_at = now()
        "#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(&ids)
    .bind(&invoices)
    .bind(&statuses)
    .bind(&marketplace_statuses)
    .bind(&totals)
    .bind(&created)
    .bind(&updated)
    .bind(&warehouses)
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
    shop_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id)
           VALUES ($1, $2, 'shop', $3)
           ON CONFLICT (account_id, entity_type, external_id) DO UPDATE SET last_synced_at = now(), updated_at = now()"#,
    )
    .bind(integration_id)
    .bind(account_id)
    .bind(shop_id)
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

/// Where a seller SKU lives in a shop whose stock is kept per warehouse: its product, the
/// marketplace's SKU id and the first warehouse that stocks it, from the synced catalog.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SkuPlace {
    pub seller_sku: String,
    pub product_id: String,
    pub sku_id: String,
    pub warehouse_id: String,
}

pub async fn sku_places(
    db: impl sqlx::PgExecutor<'_>,
    account_id: AccountId,
    seller_skus: &[String],
) -> Result<Vec<SkuPlace>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT DISTINCT ON (s->>'seller_sku')
                  s->>'seller_sku' AS seller_sku, p.external_id AS product_id, s->>'id' AS sku_id,
                  s->'inventory'->0->>'warehouse_id' AS warehouse_id
           FROM marketplace_products p, jsonb_array_elements(p.raw->'skus') s
           WHERE p.account_id = $1 AND s->>'seller_sku' = ANY($2)
             AND s->>'id' IS NOT NULL AND s->'inventory'->0->>'warehouse_id' IS NOT NULL
           ORDER BY s->>'seller_sku', p.external_id"#,
    )
    .bind(account_id)
    .bind(seller_skus)
    .fetch_all(db)
    .await
}

/// When the account's oldest order created since `since` whose status can still change was created.
pub async fn oldest_open_order(
    db: impl sqlx::PgExecutor<'_>,
    account_id: AccountId,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error> {
    let open: Vec<&str> = crate::domain::OrderStatus::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    sqlx::query_scalar(
        "SELECT min(order_created_at) FROM marketplace_orders
         WHERE account_id = $1 AND order_created_at >= $2 AND status = ANY($3)",
    )
    .bind(account_id)
    .bind(since)
    .bind(&open)
    .fetch_one(db)
    .await
}

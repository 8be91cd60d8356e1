//! The baseline of the writes phase: Postgres `COPY … FROM STDIN (FORMAT csv)` of the same products and orders,
//! each with its mapping row, into `LIKE … INCLUDING ALL` copies of our tables (same unique indexes). The
//! timed part includes encoding the CSV, as our path's timing includes building its column arrays.

use std::{fmt::Write as _, time::Instant};

use anyhow::Context;
use ocean_core::{
    domain::{AccountId, CatalogOrder, CatalogProduct},
    marketplace::types::{Order, Product, WithRaw},
};
use sqlx::PgPool;

/// Records per second `COPY` reached.
pub struct CopyRates {
    pub products_per_sec: f64,
    pub orders_per_sec: f64,
}

/// Creates the tables and copies the rows into them.
pub async fn run(
    pool: &PgPool,
    account: AccountId,
    products: &[WithRaw<Product>],
    orders: &[WithRaw<Order>],
) -> anyhow::Result<CopyRates> {
    for (copy, original) in [
        ("bench_products", "marketplace_products"),
        ("bench_orders", "marketplace_orders"),
        ("bench_mappings", "integration_mappings"),
    ] {
        sqlx::query(&format!("CREATE TABLE {copy} (LIKE {original} INCLUDING ALL)"))
            .execute(pool)
            .await
            .with_context(|| format!("Failed to create {copy}"))?;
    }
    let mut conn = pool.acquire().await.context("Failed to get a connection")?;

    let started = Instant::now();
    let mut rows = String::new();
    for p in products {
        // As our path does: the marketplace's product becomes the neutral catalog first.
        let p = CatalogProduct::from(p);
        let sku = p.sku.as_deref().map(quote).unwrap_or_default();
        let (id, name, price, stock) = (quote(&p.external_id), quote(&p.name), p.price, p.stock);
        let warehouses = quote(&serde_json::to_string(&p.warehouse_stock)?);
        let (status, marketplace_status) = (p.status.as_str(), quote(&p.marketplace_status));
        let raw = quote(&p.raw.to_string());
        writeln!(
            rows,
            "{},{id},{name},{sku},{price},{stock},{warehouses},{status},{marketplace_status},{raw}",
            account.0
        )?;
    }
    let columns = "account_id, external_id, name, sku, price, stock, warehouse_stock, status, marketplace_status, raw";
    copy_in(&mut conn, "bench_products", columns, &rows).await?;
    let ids: Vec<u64> = products.iter().map(|p| p.item.basic.product_id).collect();
    copy_in(
        &mut conn,
        "bench_mappings",
        MAPPING_COLUMNS,
        &mappings(account, "product", &ids),
    )
    .await?;
    let products_per_sec = products.len() as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut rows = String::new();
    for o in orders {
        let o = CatalogOrder::from(o);
        let (id, invoice, total) = (quote(&o.external_id), quote(&o.invoice), o.total);
        let (status, marketplace_status) = (o.status.as_str(), quote(&o.marketplace_status));
        let updated = o.updated_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        let warehouse = o.warehouse_id.as_deref().map(quote).unwrap_or_default();
        let raw = quote(&o.raw.to_string());
        writeln!(
            rows,
            "{},{id},{invoice},{status},{marketplace_status},{total},{},{updated},{warehouse},{raw}",
            account.0,
            o.created_at.to_rfc3339()
        )?;
    }
    let columns = "account_id, external_id, invoice, status, marketplace_status, total_amount, order_created_at, \
                   order_updated_at, warehouse_id, raw";
    copy_in(&mut conn, "bench_orders", columns, &rows).await?;
    let ids: Vec<u64> = orders.iter().map(|o| o.item.order_id).collect();
    copy_in(
        &mut conn,
        "bench_mappings",
        MAPPING_COLUMNS,
        &mappings(account, "order", &ids),
    )
    .await?;
    let orders_per_sec = orders.len() as f64 / started.elapsed().as_secs_f64();

    Ok(CopyRates {
        products_per_sec,
        orders_per_sec,
    })
}

const MAPPING_COLUMNS: &str = "integration_id, account_id, entity_type, external_id, local_id";

/// Mapping rows; `local_id` is a stand-in (COPY cannot return the new rows' ids), the write is the same.
fn mappings(account: AccountId, entity: &str, ids: &[u64]) -> String {
    let mut rows = String::with_capacity(ids.len() * 48);
    for (n, id) in ids.iter().enumerate() {
        let _ = writeln!(rows, "tokopedia,{},{entity},{id},{}", account.0, n + 1);
    }
    rows
}

async fn copy_in(conn: &mut sqlx::PgConnection, table: &str, columns: &str, rows: &str) -> anyhow::Result<()> {
    let statement = format!("COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)");
    let mut copy = conn
        .copy_in_raw(&statement)
        .await
        .with_context(|| format!("Failed to start COPY into {table}"))?;
    copy.send(rows.as_bytes())
        .await
        .with_context(|| format!("Failed to send rows to {table}"))?;
    copy.finish()
        .await
        .with_context(|| format!("COPY into {table} failed"))?;
    Ok(())
}

/// A CSV field: always quoted, so commas, quotes and newlines in names and JSON survive; an empty unquoted
/// field (a missing SKU) stays NULL.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

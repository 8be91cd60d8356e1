//! The baseline of the writes phase: Postgres `COPY … FROM STDIN (FORMAT csv)` of the same products and orders,
//! each with its mapping row, into `LIKE … INCLUDING ALL` copies of our tables (same unique indexes). The
//! timed part includes encoding the CSV, as our path's timing includes building its column arrays.

use std::{fmt::Write as _, time::Instant};

use anyhow::Context;
use ocean_core::{
    domain::AccountId,
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
        let item = &p.item;
        let sku = item.sku().map(quote).unwrap_or_default();
        let (id, name, price) = (item.basic.product_id, quote(&item.basic.name), item.price.value);
        let (stock, status, raw) = (item.stock_level(), item.basic.status, quote(&p.raw.to_string()));
        writeln!(rows, "{},{id},{name},{sku},{price},{stock},{status},{raw}", account.0)?;
    }
    let columns = "account_id, external_id, name, sku, price, stock, status, raw";
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
        let item = &o.item;
        let created = chrono::DateTime::from_timestamp(item.create_time, 0).unwrap_or_default();
        let (id, invoice, status) = (item.order_id, quote(&item.invoice_ref_num), item.order_status);
        let (total, raw) = (item.amt.ttl_amount, quote(&o.raw.to_string()));
        writeln!(
            rows,
            "{},{id},{invoice},{status},{total},{},{raw}",
            account.0,
            created.to_rfc3339()
        )?;
    }
    let columns = "account_id, external_id, invoice, status, total_amount, order_created_at, raw";
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

//! The streams of one sync job: products, stock push, orders, logistics. Each writes page by page behind
//! the lease's fence, saves its checkpoint, and stops at the job's page budget so a continuation can go on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ocean_core::{
    db::{
        accounts, catalog, integrations,
        inventory::{self, StockLevel},
        leases::{self, Lease},
    },
    domain::{Account, Feature},
    marketplace::{AppCredentials, MarketplaceError, client::PRODUCTS_PER_PAGE, order_windows, types::StockUpdateRow},
    monitoring,
};
use serde_json::{Value, json};

use crate::sync::{SyncContext, SyncError};

/// Most rows one stock update call accepts.
const STOCK_ROWS_PER_CALL: usize = 100;
/// What the marketplace says about a row refused for lack of budget.
const THROTTLED_ROW: &str = "ERR_TOO_MANY_REQUEST";
/// Rounds of retrying throttled rows before the sync gives up (it resumes next time: pushed rows stay pushed).
const MAX_STOCK_ATTEMPTS: u32 = 8;

/// Re-read this much before the orders cursor: an order can become visible in the list a little after its
/// create time (it is listed once payment is verified). Duplicates are merged by order id.
const ORDERS_OVERLAP_SECS: i64 = 600;

/// Whether a job finished its account's sync or stopped at its page budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    Done,
    /// Checkpoints are saved; a continuation job goes on from them.
    Yielded,
}

#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Marketplace pages this job may still fetch.
    pub(crate) pages_left: u32,
    pub(crate) share_catalog: bool,
    pub(crate) stock_pushed: usize,
    pub(crate) stock_refused: usize,
    pub(crate) products: usize,
    pub(crate) orders: usize,
    pub(crate) order_windows: usize,
    pub(crate) shop: Option<Value>,
    pub(crate) couriers: Option<Value>,
}

/// Counts what a job wrote or pushed, per stream.
pub(crate) fn count_records(report: &Report) {
    for (stream, count) in [
        ("products", report.products),
        ("orders", report.orders),
        ("stock", report.stock_pushed),
    ] {
        metrics::counter!(monitoring::RECORDS_SYNCED, "stream" => stream).increment(count as u64);
    }
}

pub(crate) async fn sync_streams(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let creds = &account.credentials.0;
    let secrets = accounts::secrets(&ctx.pool, &ctx.keyring, account.id)
        .await?
        .ok_or(SyncError::MissingSecret)?;
    let app = AppCredentials {
        fs_id: creds.fs_id,
        client_id: creds.client_id.clone(),
        client_secret: secrets.client_secret,
    };
    // Shop info is always read: it is cheap and proves the shop is still linked to the app.
    let shop = ctx.client.shop_info(&app, creds.shop_id).await?;
    let shop = shop
        .into_iter()
        .find(|s| s.shop_id == creds.shop_id)
        .ok_or_else(|| MarketplaceError::Api {
            http_status: 200,
            error_code: "SHOP_NOT_LINKED".into(),
            reason: Some(format!("shop {} is not linked to app {}", creds.shop_id, creds.fs_id)),
            messages: String::new(),
        })?;
    report.shop = Some(catalog::shop_metadata(&shop));
    report.share_catalog = integrations::get(&ctx.pool, &account.integration_id)
        .await?
        .is_some_and(|i| i.share_product_catalog);
    fenced(ctx, lease, async |conn| {
        catalog::upsert_shop_mapping(conn, &account.integration_id, account.id, creds.shop_id).await
    })
    .await?;

    // Each stream stops at the job's page budget with its checkpoint saved; the next job goes on.
    if (account.has_feature(Feature::ProductManagement) || account.has_feature(Feature::InventorySync))
        && sync_products(ctx, account, lease, &app, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::InventorySync)
        && push_stock(ctx, account, lease, &app, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::OrderManagement)
        && sync_orders(ctx, account, lease, &app, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::Logistics) {
        let couriers = ctx.client.shipment_info(&app, creds.shop_id).await?;
        report.couriers = Some(
            couriers
                .iter()
                .map(|c| {
                    json!({ "shipper_id": c.shipper_id, "shipper_name": c.shipper_name,
                                 "services": c.services.iter().map(|s| &s.service_name).collect::<Vec<_>>() })
                })
                .collect(),
        );
    }
    Ok(Completion::Done)
}

impl Report {
    /// Takes one page from the job's budget; false when it is spent.
    fn take_page(&mut self) -> bool {
        if self.pages_left == 0 {
            return false;
        }
        self.pages_left -= 1;
        true
    }
}

/// Full pass over the catalog, one fenced statement per page, from the saved page of an unfinished pass.
async fn sync_products(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    app: &AppCredentials,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let shop_id = account.credentials.0.shop_id;
    let first = leases::products_cursor(&ctx.pool, account.id)
        .await?
        .unwrap_or(1)
        .max(1);
    for page in first.. {
        if !report.take_page() {
            fenced(ctx, lease, async |conn| {
                leases::save_products_cursor(conn, lease, Some(page)).await
            })
            .await?;
            return Ok(Completion::Yielded);
        }
        let items = ctx
            .client
            .products_page(app, shop_id, page as u32, PRODUCTS_PER_PAGE)
            .await?;
        let last = ocean_core::marketplace::client::is_last_page(items.len(), PRODUCTS_PER_PAGE);
        let items = ocean_core::marketplace::catalog::products(&items);
        let share = report.share_catalog;
        report.products += fenced(ctx, lease, async |conn| {
            let written = catalog::upsert_products(conn, &account.integration_id, account.id, &items, share).await?;
            // The pass is over: the next one starts at page 1 again.
            leases::save_products_cursor(conn, lease, if last { None } else { Some(page + 1) }).await?;
            Ok(written)
        })
        .await?;
        if last {
            break;
        }
    }
    Ok(Completion::Done)
}

/// Incremental orders: windows shorter than 3 days from the account's cursor to now; the cursor is saved
/// after each window, so a failed sync resumes where it stopped.
async fn sync_orders(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    app: &AppCredentials,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let now = Utc::now();
    let cursor = leases::orders_cursor(&ctx.pool, account.id).await?;
    let from = match cursor {
        Some(cursor) => cursor.timestamp() - ORDERS_OVERLAP_SECS,
        None => now.timestamp() - i64::from(ctx.order_lookback_days) * 86_400,
    };
    for window in order_windows(from, now.timestamp()) {
        if !report.take_page() {
            return Ok(Completion::Yielded);
        }
        let orders = ctx
            .client
            .window_orders(app, account.credentials.0.shop_id, window)
            .await?;
        let orders = ocean_core::marketplace::catalog::orders(&orders);
        let window_end = DateTime::<Utc>::from_timestamp(window.1, 0).unwrap_or(now);
        report.orders += fenced(ctx, lease, async |conn| {
            let written = catalog::upsert_orders(conn, &account.integration_id, account.id, &orders).await?;
            leases::save_orders_cursor(conn, lease, window_end).await?;
            Ok(written)
        })
        .await?;
        report.order_windows += 1;
    }
    Ok(Completion::Done)
}

/// Pushes the ERP's changed stock levels, at most 100 rows per call. Rows the marketplace refused for lack
/// of budget (`ERR_TOO_MANY_REQUEST`) are retried alone, after a pause; rows it refused for good (an
/// unknown SKU) are recorded with the reason and not retried; rows that went through are never resent.
async fn push_stock(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    app: &AppCredentials,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let shop_id = account.credentials.0.shop_id;
    let levels = inventory::changed(&ctx.pool, account.id).await?;
    for chunk in levels.chunks(STOCK_ROWS_PER_CALL) {
        // Unsent rows stay changed in Postgres: the continuation picks them up.
        if !report.take_page() {
            return Ok(Completion::Yielded);
        }
        let mut pending = chunk.to_vec();
        for attempt in 0.. {
            let rows: Vec<StockUpdateRow> = pending
                .iter()
                .map(|l| StockUpdateRow {
                    sku: Some(l.sku.clone()),
                    product_id: None,
                    new_stock: l.quantity,
                })
                .collect();
            let failed = match ctx.client.update_stock(app, shop_id, &rows).await {
                Ok(_) => Vec::new(),
                Err(MarketplaceError::PartialFailure { failed, .. }) => failed,
                Err(e) => return Err(e.into()),
            };
            let throttled: Vec<&str> = failed
                .iter()
                .filter(|f| f.message == THROTTLED_ROW)
                .filter_map(|f| f.sku.as_deref())
                .collect();
            let refused: Vec<(String, String)> = failed
                .iter()
                .filter(|f| f.message != THROTTLED_ROW)
                .filter_map(|f| f.sku.clone().map(|sku| (sku, f.message.clone())))
                .collect();
            let (retry, done): (Vec<StockLevel>, Vec<StockLevel>) =
                pending.into_iter().partition(|l| throttled.contains(&l.sku.as_str()));
            let pushed: Vec<StockLevel> = done
                .into_iter()
                .filter(|l| !refused.iter().any(|(s, _)| *s == l.sku))
                .collect();
            fenced(ctx, lease, async |conn| {
                inventory::mark_pushed(conn, account.id, &pushed).await?;
                inventory::mark_refused(conn, account.id, &refused).await
            })
            .await?;
            report.stock_pushed += pushed.len();
            report.stock_refused += refused.len();
            pending = retry;
            if pending.is_empty() {
                break;
            }
            if attempt >= MAX_STOCK_ATTEMPTS {
                return Err(MarketplaceError::RateLimited {
                    reset_after: Duration::from_secs(1),
                    full_reset_after: Duration::from_secs(1),
                }
                .into());
            }
            tokio::time::sleep(Duration::from_millis(250 << attempt.min(4))).await;
        }
    }
    Ok(Completion::Done)
}

/// Runs `write` in a transaction that first checks this sync still holds the newest lease and keeps it
/// that way until commit. A worker whose lease expired (paused, partitioned) cannot overwrite newer results.
async fn fenced<T>(
    ctx: &SyncContext,
    lease: Lease,
    write: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, sqlx::Error>,
) -> Result<T, SyncError> {
    let mut tx = ctx.pool.begin().await?;
    if !leases::hold_fence(&mut tx, lease).await? {
        return Err(SyncError::LeaseLost);
    }
    let value = write(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}

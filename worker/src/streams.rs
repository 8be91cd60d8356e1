//! The streams of one sync job: products, stock push, orders, logistics. Each writes page by page behind
//! the lease's fence, saves its checkpoint, and stops at the job's page budget so a continuation can go on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ocean_core::{
    db::{
        catalog, integrations,
        inventory::{self, StockLevel},
        leases::{self, Lease},
    },
    domain::{Account, Feature},
    marketplace::{Session, order_windows},
    monitoring,
};
use serde_json::Value;

use crate::sync::{SyncContext, SyncError};

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
    /// Couriers or warehouses, as the marketplace has them.
    pub(crate) logistics: Option<Value>,
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
    let session = ctx.marketplaces.open(&ctx.pool, &ctx.keyring, account).await?;
    // Shop info is always read: it is cheap and proves the shop is still linked to the app.
    let shop = session.shop().await?;
    report.shop = Some(shop.metadata);
    report.share_catalog = integrations::get(&ctx.pool, &account.integration_id)
        .await?
        .is_some_and(|i| i.share_product_catalog);
    fenced(ctx, lease, async |conn| {
        catalog::upsert_shop_mapping(conn, &account.integration_id, account.id, &shop.external_id).await
    })
    .await?;

    // Each stream stops at the job's page budget with its checkpoint saved; the next job goes on.
    if (account.has_feature(Feature::ProductManagement) || account.has_feature(Feature::InventorySync))
        && sync_products(ctx, account, lease, &session, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::InventorySync)
        && push_stock(ctx, account, lease, &session, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::OrderManagement)
        && sync_orders(ctx, account, lease, &session, report).await? == Completion::Yielded
    {
        return Ok(Completion::Yielded);
    }
    if account.has_feature(Feature::Logistics) {
        report.logistics = Some(session.logistics().await?);
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

/// Full pass over the catalog, one fenced statement per page, from the saved cursor of an unfinished pass.
async fn sync_products(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    session: &Session,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let mut cursor = leases::products_cursor(&ctx.pool, account.id).await?;
    loop {
        if !report.take_page() {
            let at = cursor.as_deref();
            fenced(ctx, lease, async |conn| {
                leases::save_products_cursor(conn, lease, at).await
            })
            .await?;
            return Ok(Completion::Yielded);
        }
        let page = session.products_page(cursor.as_deref()).await?;
        let share = report.share_catalog;
        let next = page.next.as_deref();
        report.products += fenced(ctx, lease, async |conn| {
            let written =
                catalog::upsert_products(conn, &account.integration_id, account.id, &page.products, share).await?;
            // The pass is over: the next one starts at the first page again.
            leases::save_products_cursor(conn, lease, next).await?;
            Ok(written)
        })
        .await?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(Completion::Done),
        }
    }
}

/// Incremental orders: windows shorter than 3 days from the account's cursor to now; the cursor is saved
/// after each window, so a failed sync resumes where it stopped. A marketplace that lists orders only by
/// creation time is read again from its oldest recent order whose status can still change (the design
/// notes' "repeated window polling"), so shipping and completion are seen.
async fn sync_orders(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    session: &Session,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let now = Utc::now();
    let cursor = leases::orders_cursor(&ctx.pool, account.id).await?;
    let mut from = match cursor {
        Some(cursor) => cursor.timestamp() - ORDERS_OVERLAP_SECS,
        None => now.timestamp() - i64::from(ctx.order_lookback_days) * 86_400,
    };
    if !session.orders_by_update_time() && ctx.order_status_horizon_days > 0 {
        let horizon = now - chrono::Duration::days(i64::from(ctx.order_status_horizon_days));
        if let Some(oldest) = catalog::oldest_open_order(&ctx.pool, account.id, horizon).await? {
            from = from.min(oldest.timestamp());
        }
    }
    for window in order_windows(from, now.timestamp()) {
        if !report.take_page() {
            return Ok(Completion::Yielded);
        }
        let orders = session.orders(window).await?;
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

/// Pushes the ERP's changed stock levels, as many rows per call as the marketplace takes. Rows refused for
/// lack of budget are retried alone, after a pause; rows refused for good (an unknown SKU) are recorded
/// with the reason and not retried; rows that went through are never resent.
async fn push_stock(
    ctx: &SyncContext,
    account: &Account,
    lease: Lease,
    session: &Session,
    report: &mut Report,
) -> Result<Completion, SyncError> {
    let levels = inventory::changed(&ctx.pool, account.id).await?;
    for chunk in levels.chunks(session.stock_rows_per_call()) {
        // Unsent rows stay changed in Postgres: the continuation picks them up.
        if !report.take_page() {
            return Ok(Completion::Yielded);
        }
        let mut pending = chunk.to_vec();
        for attempt in 0.. {
            let push = session.push_stock(&ctx.pool, &pending).await?;
            let (retry, done): (Vec<StockLevel>, Vec<StockLevel>) =
                pending.into_iter().partition(|l| push.throttled.contains(&l.sku));
            let pushed: Vec<StockLevel> = done.into_iter().filter(|l| push.pushed.contains(&l.sku)).collect();
            fenced(ctx, lease, async |conn| {
                inventory::mark_pushed(conn, account.id, &pushed).await?;
                inventory::mark_refused(conn, account.id, &push.refused).await
            })
            .await?;
            report.stock_pushed += pushed.len();
            report.stock_refused += push.refused.len();
            pending = retry;
            if pending.is_empty() {
                break;
            }
            if attempt >= MAX_STOCK_ATTEMPTS {
                return Err(SyncError::StockThrottled(pending.len()));
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

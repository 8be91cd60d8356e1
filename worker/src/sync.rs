//! One account sync: take the account's lease, read shop info, products and orders from the marketplace,
//! write each page behind the lease's fence, then record the outcome and one log row.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ocean_shared::{
    crypto::Keyring,
    db::{
        accounts::{self, Account, Lease, SecretsError},
        catalog, integrations,
        inventory::{self, StockLevel},
        logs::{self, Outcome, SyncLog},
    },
    domain::Feature,
    domain::SyncTrigger,
    marketplace::{
        AppCredentials, MarketplaceError, TokopediaClient, client::PRODUCTS_PER_PAGE, order_windows,
        types::StockUpdateRow,
    },
    monitoring,
    queue::{SyncJob, SyncQueue},
};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Most rows one stock update call accepts.
const STOCK_ROWS_PER_CALL: usize = 100;
/// What the marketplace says about a row refused for lack of budget.
const THROTTLED_ROW: &str = "ERR_TOO_MANY_REQUEST";
/// Rounds of retrying throttled rows before the sync gives up (it resumes next time: pushed rows stay pushed).
const MAX_STOCK_ATTEMPTS: u32 = 8;

/// Re-read this much before the orders cursor: an order can become visible in the list a little after its
/// create time (it is listed once payment is verified). Duplicates are merged by order id.
const ORDERS_OVERLAP_SECS: i64 = 600;

/// What every sync needs; cloned into each job.
#[derive(Clone)]
pub struct SyncContext {
    pub pool: PgPool,
    pub keyring: Keyring,
    pub client: TokopediaClient,
    /// For follow-up jobs (a sync request that arrived while the account was syncing).
    pub queue: SyncQueue,
    /// Written into the lease so operators can see who syncs what.
    pub worker_name: String,
    pub lease_ttl: Duration,
    /// A sync still running after this long is stopped and recorded as failed.
    pub job_timeout: Duration,
    /// Failed syncs in a row after which the account is paused.
    pub pause_after_failures: i32,
    /// Marketplace pages one job may fetch before it hands the rest of the sync to a continuation job.
    pub page_budget: u32,
    pub order_lookback_days: u32,
}

impl SyncContext {
    /// A context for this process's worker: a unique worker name and the timing of `settings`.
    pub fn new(
        pool: PgPool,
        keyring: Keyring,
        client: TokopediaClient,
        queue: SyncQueue,
        settings: &crate::WorkerSettings,
    ) -> Self {
        Self {
            pool,
            keyring,
            client,
            queue,
            worker_name: crate::unique_worker_name(),
            lease_ttl: settings.lease_ttl(),
            job_timeout: settings.job_timeout(),
            pause_after_failures: settings.pause_after_failures,
            page_budget: settings.page_budget,
            order_lookback_days: settings.order_lookback_days,
        }
    }
}

/// Why a sync stopped. The Display text becomes the account's `last_error`: plain words, no secrets.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Marketplace(#[from] MarketplaceError),
    #[error("no client secret is stored for this account")]
    MissingSecret,
    #[error("stored credentials could not be opened: {0}")]
    Secrets(#[from] SecretsError),
    #[error("another sync of this account took over (lease lost)")]
    LeaseLost,
    #[error("database error while saving results")]
    Db(#[from] sqlx::Error),
    #[error("sync did not finish within {0:?}; it resumes from its checkpoint next time")]
    TimedOut(Duration),
}

/// Whether a job finished its account's sync or stopped at its page budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Completion {
    Done,
    /// Checkpoints are saved; a continuation job goes on from them.
    Yielded,
}

#[derive(Debug, Default)]
struct Report {
    /// Marketplace pages this job may still fetch.
    pages_left: u32,
    share_catalog: bool,
    stock_pushed: usize,
    stock_refused: usize,
    products: usize,
    orders: usize,
    order_windows: usize,
    shop: Option<Value>,
    couriers: Option<Value>,
}

/// Runs one job to completion and records it. Errors only when the outcome itself could not be written.
pub async fn run_sync(ctx: &SyncContext, job: &SyncJob) -> Result<Outcome, sqlx::Error> {
    let started = Instant::now();
    let Some(account) = accounts::get(&ctx.pool, job.account_id).await? else {
        tracing::info!(account_id = %job.account_id, "account no longer exists; job dropped");
        return Ok(Outcome::Skipped);
    };
    let log = |outcome, message: Option<String>, report: &Report| SyncLog {
        integration_id: &account.integration_id,
        account_id: account.id,
        trigger: job.trigger,
        outcome,
        message,
        products_synced: report.products as i32,
        orders_synced: report.orders as i32,
        details: json!({
            "worker": ctx.worker_name,
            "order_windows": report.order_windows,
            "couriers": report.couriers.as_ref().and_then(Value::as_array).map(Vec::len),
            "stock_pushed": report.stock_pushed,
            "stock_refused": report.stock_refused,
            "requested_at": job.requested_at,
        }),
        duration_ms: started.elapsed().as_millis() as i64,
    };
    // At-least-once delivery and follow-ups can bring a job whose wish a later sync already served: a sync
    // that started after the request and finished covers it. (A sync that started but never finished
    // died with its worker; its job must run again.)
    if account.served(job.requested_at) {
        let why = "already served by a sync that started after this request";
        logs::insert_sync(&ctx.pool, &log(Outcome::Skipped, Some(why.into()), &Report::default())).await?;
        return Ok(Outcome::Skipped);
    }
    let unavailable = if !account.enabled {
        Some("account is disabled".to_owned())
    } else {
        account
            .paused_at
            .map(|_| format!("account is paused: {}", account.paused_reason.as_deref().unwrap_or("")))
    };
    if let Some(why) = unavailable {
        logs::insert_sync(&ctx.pool, &log(Outcome::Skipped, Some(why), &Report::default())).await?;
        return Ok(Outcome::Skipped);
    }
    let Some(lease) = accounts::acquire_lease(&ctx.pool, account.id, &ctx.worker_name, ctx.lease_ttl).await? else {
        // Not dropped: the wish becomes the account's one pending intent, served right after the running
        // sync (or, if its worker died, once its lease lapses).
        accounts::defer_request(&ctx.pool, account.id, job.requested_at, job.trigger).await?;
        metrics::counter!(monitoring::LEASE_CONFLICTS).increment(1);
        let why = "another sync of this account is running; a follow-up is queued";
        logs::insert_sync(&ctx.pool, &log(Outcome::Skipped, Some(why.into()), &Report::default())).await?;
        return Ok(Outcome::Skipped);
    };

    let mut report = Report {
        pages_left: ctx.page_budget.max(1),
        ..Report::default()
    };
    let renewal = keep_lease_alive(ctx.pool.clone(), lease, ctx.lease_ttl);
    let result = tokio::time::timeout(ctx.job_timeout, sync_streams(ctx, &account, lease, &mut report))
        .await
        .unwrap_or(Err(SyncError::TimedOut(ctx.job_timeout)));
    renewal.abort();
    count_records(&report);
    let outcome = match result {
        Ok(Completion::Yielded) => {
            tracing::info!(account_id = %account.id, products = report.products, orders = report.orders, "job budget used; continuing later");
            logs::insert_sync(
                &ctx.pool,
                &log(
                    Outcome::Partial,
                    Some("page budget used; a continuation job goes on".into()),
                    &report,
                ),
            )
            .await?;
            if let Some(requested_at) = accounts::yield_for_continuation(&ctx.pool, lease).await? {
                // Pushed now, it queues behind the jobs already waiting: other shops get their turn.
                let job = SyncJob {
                    account_id: account.id,
                    trigger: SyncTrigger::Continuation,
                    requested_at,
                };
                if let Err(e) = ctx.queue.push(job, None).await {
                    tracing::warn!(account_id = %account.id, error.message = %e, "continuation not enqueued; the scheduler will");
                }
            }
            return Ok(Outcome::Partial);
        }
        Ok(Completion::Done) => {
            let mut metadata = json!({ "shop_info": report.shop });
            if let Some(couriers) = &report.couriers {
                metadata["logistics"] = json!({ "couriers": couriers });
            }
            if !accounts::record_success(&ctx.pool, lease, Some(&metadata)).await? {
                tracing::warn!(account_id = %account.id, "lease lost before recording success");
            }
            tracing::info!(account_id = %account.id, products = report.products, orders = report.orders, "sync finished");
            logs::insert_sync(&ctx.pool, &log(Outcome::Success, None, &report)).await?;
            Outcome::Success
        }
        Err(error) => {
            let message = error.to_string();
            tracing::warn!(account_id = %account.id, error.message = %message, "sync failed");
            if accounts::record_failure(&ctx.pool, lease, &message, ctx.pause_after_failures).await? == Some(true) {
                tracing::warn!(account_id = %account.id, "account paused after repeated failures");
            }
            logs::insert_sync(&ctx.pool, &log(Outcome::Failure, Some(message), &report)).await?;
            Outcome::Failure
        }
    };
    enqueue_follow_up(ctx, account.id).await?;
    Ok(outcome)
}

/// Counts what a job wrote or pushed, per stream.
fn count_records(report: &Report) {
    for (stream, count) in [
        ("products", report.products),
        ("orders", report.orders),
        ("stock", report.stock_pushed),
    ] {
        metrics::counter!(monitoring::RECORDS_SYNCED, "stream" => stream).increment(count as u64);
    }
}

/// Renews the lease every third of its TTL while the sync runs, so only a dead worker's lease lapses.
fn keep_lease_alive(pool: PgPool, lease: Lease, ttl: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(ttl / 3);
        every.tick().await;
        loop {
            every.tick().await;
            match accounts::renew_lease(&pool, lease, ttl).await {
                Ok(true) => {}
                // A newer lease exists: the fence will stop this sync's next write.
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(account_id = %lease.account_id, error.message = %e, "lease renewal failed")
                }
            }
        }
    })
}

/// A request that arrived while this sync ran gets exactly one follow-up job, now.
async fn enqueue_follow_up(ctx: &SyncContext, account_id: ocean_shared::domain::AccountId) -> Result<(), sqlx::Error> {
    let Some((requested_at, trigger)) = accounts::take_follow_up(&ctx.pool, account_id).await? else {
        return Ok(());
    };
    let trigger = trigger
        .as_deref()
        .and_then(SyncTrigger::parse)
        .unwrap_or(SyncTrigger::Manual);
    let job = SyncJob {
        account_id,
        trigger,
        requested_at,
    };
    if let Err(e) = ctx.queue.push(job, None).await {
        // Still recorded in Postgres: the scheduler re-emits it after its requeue delay.
        tracing::warn!(%account_id, error.message = %e, "could not enqueue the follow-up sync");
    }
    Ok(())
}

async fn sync_streams(
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
    let first = accounts::products_cursor(&ctx.pool, account.id)
        .await?
        .unwrap_or(1)
        .max(1);
    for page in first.. {
        if !report.take_page() {
            fenced(ctx, lease, async |conn| {
                accounts::save_products_cursor(conn, lease, Some(page)).await
            })
            .await?;
            return Ok(Completion::Yielded);
        }
        let items = ctx
            .client
            .products_page(app, shop_id, page as u32, PRODUCTS_PER_PAGE)
            .await?;
        let last = ocean_shared::marketplace::client::is_last_page(items.len(), PRODUCTS_PER_PAGE);
        let share = report.share_catalog;
        report.products += fenced(ctx, lease, async |conn| {
            let written = catalog::upsert_products(conn, &account.integration_id, account.id, &items, share).await?;
            // The pass is over: the next one starts at page 1 again.
            accounts::save_products_cursor(conn, lease, if last { None } else { Some(page + 1) }).await?;
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
    let cursor = accounts::orders_cursor(&ctx.pool, account.id).await?;
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
        let window_end = DateTime::<Utc>::from_timestamp(window.1, 0).unwrap_or(now);
        report.orders += fenced(ctx, lease, async |conn| {
            let written = catalog::upsert_orders(conn, &account.integration_id, account.id, &orders).await?;
            accounts::save_orders_cursor(conn, lease, window_end).await?;
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
    if !accounts::hold_fence(&mut tx, lease).await? {
        return Err(SyncError::LeaseLost);
    }
    let value = write(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}

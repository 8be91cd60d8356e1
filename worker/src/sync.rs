//! One account sync: take the account's lease, read shop info, products and orders from the marketplace,
//! write each page behind the lease's fence, then record the outcome and one log row.

use std::time::{Duration, Instant};

use ocean_core::{
    crypto::Keyring,
    db::{
        accounts::{self, SecretsError},
        intents,
        leases::{self, Lease},
        logs::{self, SyncLog},
    },
    domain::Outcome,
    feed,
    marketplace::{MarketplaceError, TokopediaClient},
    monitoring,
    queue::{SyncJob, SyncQueue},
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::streams::{Completion, Report, count_records, sync_streams};

/// What every sync needs; cloned into each job.
#[derive(Clone)]
pub struct SyncContext {
    pub pool: PgPool,
    pub keyring: Keyring,
    pub client: TokopediaClient,
    /// For follow-up jobs (a request that arrived while the account was syncing, or a continuation).
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
            "request": job.seq,
            "requested_at": job.requested_at,
        }),
        duration_ms: started.elapsed().as_millis() as i64,
    };
    let skipped = |why: String| async {
        logs::insert_sync(&ctx.pool, &log(Outcome::Skipped, Some(why), &Report::default())).await?;
        Ok(Outcome::Skipped)
    };
    // At-least-once delivery brings duplicates: a sync that started after this request and finished
    // served it.
    if account.served(job.seq) {
        return skipped("already served by a sync that started after this request".into()).await;
    }
    let unavailable = if !account.enabled {
        Some("account is disabled".to_owned())
    } else {
        account
            .paused_at
            .map(|_| format!("account is paused: {}", account.paused_reason.as_deref().unwrap_or("")))
    };
    if let Some(why) = unavailable {
        intents::job_dropped(&ctx.pool, account.id).await?;
        return skipped(why).await;
    }
    let Some(lease) = leases::acquire_lease(&ctx.pool, account.id, &ctx.worker_name, ctx.lease_ttl).await? else {
        // Nothing to record: the running sync started after this request (and serves it), or the
        // request came later and that sync feeds it when it ends; if its worker died, the scheduler
        // takes the lease back and feeds it.
        metrics::counter!(monitoring::LEASE_CONFLICTS).increment(1);
        return skipped("another sync of this account is running; it or its follow-up serves this request".into())
            .await;
    };

    let mut report = Report {
        pages_left: ctx.page_budget.max(1),
        ..Report::default()
    };
    let result = {
        // Renewal ends with this block, however the sync ends.
        let _renewal = LeaseRenewal::start(ctx.pool.clone(), lease, ctx.lease_ttl, ctx.job_timeout);
        tokio::time::timeout(ctx.job_timeout, sync_streams(ctx, &account, lease, &mut report))
            .await
            .unwrap_or(Err(SyncError::TimedOut(ctx.job_timeout)))
    };
    count_records(&report);
    let outcome = match result {
        Ok(Completion::Yielded) => {
            tracing::info!(account_id = %account.id, products = report.products, orders = report.orders, "job budget used; continuing later");
            let message = "page budget used; a continuation job goes on";
            logs::insert_sync(&ctx.pool, &log(Outcome::Partial, Some(message.into()), &report)).await?;
            leases::yield_for_continuation(&ctx.pool, lease).await?;
            Outcome::Partial
        }
        Ok(Completion::Done) => {
            let mut metadata = json!({ "shop_info": report.shop });
            if let Some(couriers) = &report.couriers {
                metadata["logistics"] = json!({ "couriers": couriers });
            }
            if !leases::record_success(&ctx.pool, lease, Some(&metadata)).await? {
                tracing::warn!(account_id = %account.id, "lease lost before recording success");
            }
            tracing::info!(account_id = %account.id, products = report.products, orders = report.orders, "sync finished");
            logs::insert_sync(&ctx.pool, &log(Outcome::Success, None, &report)).await?;
            Outcome::Success
        }
        Err(error) => {
            let message = error.to_string();
            tracing::warn!(account_id = %account.id, error.message = %message, "sync failed");
            if leases::record_failure(&ctx.pool, lease, &message, ctx.pause_after_failures).await? == Some(true) {
                tracing::warn!(account_id = %account.id, "account paused after repeated failures");
            }
            logs::insert_sync(&ctx.pool, &log(Outcome::Failure, Some(message), &report)).await?;
            Outcome::Failure
        }
    };
    // A request that arrived while this sync ran (or the rest of a yielded one) gets its job now; pushed
    // now, it queues behind the jobs already waiting, so other shops get their turn.
    if let Err(e) = feed::feed_account(&ctx.pool, &ctx.queue, account.id).await {
        tracing::warn!(account_id = %account.id, error.message = %e, "follow-up not enqueued; the scheduler feeds it");
    }
    Ok(outcome)
}

/// Renews the lease every third of its TTL while the sync runs, so only a dead worker's lease lapses.
/// Stops when dropped (the sync ended, whatever ended it: outcome, timeout, a cancelled job) and at the
/// latest one TTL past the job timeout.
struct LeaseRenewal(tokio::task::JoinHandle<()>);

impl LeaseRenewal {
    fn start(pool: PgPool, lease: Lease, ttl: Duration, job_timeout: Duration) -> Self {
        let until = tokio::time::Instant::now() + job_timeout + ttl;
        Self(tokio::spawn(async move {
            let mut every = tokio::time::interval(ttl / 3);
            every.tick().await;
            loop {
                every.tick().await;
                if tokio::time::Instant::now() >= until {
                    return;
                }
                match leases::renew_lease(&pool, lease, ttl).await {
                    Ok(true) => {}
                    // Taken back or replaced: the fence stops this sync's next write.
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(account_id = %lease.account_id, error.message = %e, "lease renewal failed")
                    }
                }
            }
        }))
    }
}

impl Drop for LeaseRenewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

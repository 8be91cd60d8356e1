//! One account sync: take the account's lease, read shop info, products and orders from the marketplace,
//! write each page behind the lease's fence, then record the outcome and one log row.

use std::time::{Duration, Instant};

use ocean_core::{
    crypto::Keyring,
    db::{
        accounts, intents,
        leases::{self, Lease},
        logs::{self, SyncLog},
    },
    domain::{Account, Outcome},
    feed,
    marketplace::{AdapterError, ErrorClass, Marketplaces},
    monitoring,
    queue::{SyncJob, SyncQueue},
};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};

use crate::streams::{Completion, Report, count_records, sync_streams};

/// What every sync needs; cloned into each job.
#[derive(Clone)]
pub struct SyncContext {
    pub pool: PgPool,
    pub keyring: Keyring,
    /// Every marketplace adapter; each account syncs through its own.
    pub marketplaces: Marketplaces,
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
    pub order_status_horizon_days: u32,
}

impl SyncContext {
    /// A context for this process's worker: a unique worker name and the timing of `settings`.
    pub fn new(
        pool: PgPool,
        keyring: Keyring,
        marketplaces: Marketplaces,
        queue: SyncQueue,
        settings: &crate::WorkerSettings,
    ) -> Self {
        Self {
            pool,
            keyring,
            marketplaces,
            queue,
            worker_name: crate::unique_worker_name(),
            lease_ttl: settings.lease_ttl(),
            job_timeout: settings.job_timeout(),
            pause_after_failures: settings.pause_after_failures,
            page_budget: settings.page_budget,
            order_lookback_days: settings.order_lookback_days,
            order_status_horizon_days: settings.order_status_horizon_days,
        }
    }
}

/// Why a sync stopped. The Display text becomes the account's `last_error`: plain words, no secrets.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Marketplace(#[from] AdapterError),
    #[error("the marketplace kept refusing {0} stock rows for lack of budget; they go out next sync")]
    StockThrottled(usize),
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
        // Nothing to record: log rows belong to an account.
        tracing::info!(account_id = %job.account_id, "account no longer exists; job dropped");
        return Ok(Outcome::Skipped);
    };
    let run = Run {
        ctx,
        job,
        account,
        started,
    };
    let ending = run.attempt().await?;
    let outcome = run.record(ending).await?;
    // A skipped job leaves nothing to feed: a sync running now feeds its own follow-up.
    if outcome != Outcome::Skipped {
        run.feed_follow_up().await;
    }
    Ok(outcome)
}

/// Why a job did nothing.
enum Skip {
    /// A duplicate (delivery is at least once): a sync that started after this request and finished served it.
    Served,
    /// The account is disabled or paused; the text says which.
    Unavailable(String),
    /// Another sync of the account holds the lease. Nothing is owed to the request: that sync started after
    /// it (and serves it), or it came later and that sync feeds it when it ends; if its worker died, the
    /// scheduler takes the lease back and feeds it.
    Busy,
}

impl Skip {
    /// The checks made before the lease is taken.
    fn check(job: &SyncJob, account: &Account) -> Option<Self> {
        if account.served(job.seq) {
            return Some(Self::Served);
        }
        if !account.enabled {
            return Some(Self::Unavailable("account is disabled".to_owned()));
        }
        if account.paused_at.is_some() {
            let reason = account.paused_reason.as_deref().unwrap_or("");
            return Some(Self::Unavailable(format!("account is paused: {reason}")));
        }
        None
    }

    fn into_message(self) -> String {
        match self {
            Self::Served => "already served by a sync that started after this request".into(),
            Self::Unavailable(why) => why,
            Self::Busy => "another sync of this account is running; it or its follow-up serves this request".into(),
        }
    }
}

/// How a job ended, before it is recorded.
enum Ending {
    Skipped(Skip),
    /// The sync ran under `lease` and got as far as `report` says (boxed: it is large, and a skip is not).
    Ran {
        lease: Lease,
        report: Box<Report>,
        result: Result<Completion, SyncError>,
    },
}

impl Ending {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Skipped(_) => Outcome::Skipped,
            Self::Ran { result, .. } => match result {
                Ok(Completion::Done) => Outcome::Success,
                Ok(Completion::Yielded) => Outcome::Partial,
                Err(_) => Outcome::Failure,
            },
        }
    }
}

/// One job on one account, from its checks to its record.
struct Run<'a> {
    ctx: &'a SyncContext,
    job: &'a SyncJob,
    account: Account,
    started: Instant,
}

impl Run<'_> {
    /// Syncs the account unless the job has nothing to do.
    async fn attempt(&self) -> Result<Ending, sqlx::Error> {
        if let Some(skip) = Skip::check(self.job, &self.account) {
            return Ok(Ending::Skipped(skip));
        }
        let ctx = self.ctx;
        match leases::acquire_lease(&ctx.pool, self.account.id, &ctx.worker_name, ctx.lease_ttl).await? {
            Some(lease) => Ok(self.sync(lease).await),
            None => Ok(Ending::Skipped(Skip::Busy)),
        }
    }

    /// Runs the streams under `lease` within the job timeout, renewing the lease until it returns.
    async fn sync(&self, lease: Lease) -> Ending {
        let ctx = self.ctx;
        let mut report = Report {
            pages_left: ctx.page_budget.max(1),
            ..Report::default()
        };
        let result = {
            // Renewal ends with this block, however the sync ends.
            let _renewal = LeaseRenewal::start(ctx.pool.clone(), lease, ctx.lease_ttl, ctx.job_timeout);
            tokio::time::timeout(ctx.job_timeout, sync_streams(ctx, &self.account, lease, &mut report))
                .await
                .unwrap_or(Err(SyncError::TimedOut(ctx.job_timeout)))
        };
        Ending::Ran {
            lease,
            report: Box::new(report),
            result,
        }
    }

    /// The one place a job's outcome is written: the lease's result, the metrics and the log row. The
    /// account's counters and its log row commit together, so whoever sees the outcome also sees its row.
    async fn record(&self, ending: Ending) -> Result<Outcome, sqlx::Error> {
        let outcome = ending.outcome();
        let mut tx = self.ctx.pool.begin().await?;
        let (message, report) = match ending {
            Ending::Skipped(skip) => (Some(self.record_skip(&mut tx, skip).await?), Report::default()),
            Ending::Ran { lease, report, result } => {
                (self.record_result(&mut tx, lease, &report, result).await?, *report)
            }
        };
        logs::insert_sync(&mut *tx, &self.log(outcome, message, &report)).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Settles a job that did nothing; returns its log message.
    async fn record_skip(&self, tx: &mut PgConnection, skip: Skip) -> Result<String, sqlx::Error> {
        match skip {
            // The job is consumed, so enabling or resuming the account feeds its waiting request again.
            Skip::Unavailable(_) => intents::job_dropped(tx, self.account.id).await?,
            Skip::Busy => metrics::counter!(monitoring::LEASE_CONFLICTS).increment(1),
            Skip::Served => {}
        }
        Ok(skip.into_message())
    }

    /// Writes a sync's result behind its lease, which releases it; returns the log message.
    async fn record_result(
        &self,
        tx: &mut PgConnection,
        lease: Lease,
        report: &Report,
        result: Result<Completion, SyncError>,
    ) -> Result<Option<String>, sqlx::Error> {
        let id = self.account.id;
        count_records(report);
        match result {
            Ok(Completion::Yielded) => {
                tracing::info!(account_id = %id, products = report.products, orders = report.orders, "job budget used; continuing later");
                leases::yield_for_continuation(&mut *tx, lease).await?;
                Ok(Some("page budget used; a continuation job goes on".into()))
            }
            Ok(Completion::Done) => {
                if !leases::record_success(&mut *tx, lease, Some(&account_metadata(report))).await? {
                    tracing::warn!(account_id = %id, "lease lost before recording success");
                }
                tracing::info!(account_id = %id, products = report.products, orders = report.orders, "sync finished");
                Ok(None)
            }
            Err(SyncError::Marketplace(error)) if error.class() == ErrorClass::NeedsReauthorization => {
                let message = error.to_string();
                tracing::warn!(account_id = %id, error.message = %message, "shop authorization lapsed; waiting for the seller");
                leases::record_needs_reauthorization(&mut *tx, lease, &message).await?;
                Ok(Some(message))
            }
            Err(error) => {
                let message = error.to_string();
                tracing::warn!(account_id = %id, error.message = %message, "sync failed");
                if leases::record_failure(&mut *tx, lease, &message, self.ctx.pause_after_failures).await? == Some(true)
                {
                    tracing::warn!(account_id = %id, "account paused after repeated failures");
                }
                Ok(Some(message))
            }
        }
    }

    /// The job's log row; `report` is empty for a job that did nothing.
    fn log(&self, outcome: Outcome, message: Option<String>, report: &Report) -> SyncLog<'_> {
        SyncLog {
            integration_id: &self.account.integration_id,
            account_id: self.account.id,
            trigger: self.job.trigger,
            outcome,
            message,
            products_synced: report.products as i32,
            orders_synced: report.orders as i32,
            details: json!({
                "worker": self.ctx.worker_name,
                "order_windows": report.order_windows,
                "couriers": report.logistics.as_ref().and_then(|l| l["couriers"].as_array()).map(Vec::len),
                "stock_pushed": report.stock_pushed,
                "stock_refused": report.stock_refused,
                "request": self.job.seq,
                "requested_at": self.job.requested_at,
            }),
            duration_ms: self.started.elapsed().as_millis() as i64,
        }
    }

    /// A request that arrived while this sync ran (or the rest of a yielded one) gets its job now; pushed
    /// now, it queues behind the jobs already waiting, so other shops get their turn.
    async fn feed_follow_up(&self) {
        let id = self.account.id;
        if let Err(e) = feed::feed_account(&self.ctx.pool, &self.ctx.queue, id).await {
            tracing::warn!(account_id = %id, error.message = %e, "follow-up not enqueued; the scheduler feeds it");
        }
    }
}

/// What a finished sync merges into the account's metadata: shop info, and couriers when read.
fn account_metadata(report: &Report) -> Value {
    let mut metadata = json!({ "shop_info": report.shop });
    if let Some(logistics) = &report.logistics {
        metadata["logistics"] = logistics.clone();
    }
    metadata
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

//! The Ocean Sync worker: an apalis worker on the Redis queue that runs one account sync per job.
//!
//! apalis-redis needs care to neither lose nor stall jobs (`apalis-notes.md` §7); the choices are made
//! here: a unique worker name per start and per restart, restart on backend errors, polling instead of
//! waiting for the heartbeat, a timeout on every job, and fetch batches the size of the concurrency.

mod app;
mod streams;
pub mod sync;

use std::time::Duration;

use anyhow::Context;
use apalis::prelude::*;
use clap::Args;
use ocean_core::{
    db::leases,
    monitoring,
    queue::{QueueTiming, SyncJob, SyncQueue},
};
use tokio_util::sync::CancellationToken;

pub use app::{Application, Settings};
pub use sync::{SyncContext, run_sync};

/// Worker tuning.
#[derive(Args, Debug, Clone)]
pub struct WorkerSettings {
    /// Syncs one worker process runs at once.
    #[arg(long, env = "OCEAN_WORKER_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
    /// Longest a single sync job may run, in seconds; a job past it is cancelled and logged as failed.
    #[arg(long = "job-timeout-secs", env = "OCEAN_JOB_TIMEOUT_SECS", default_value_t = 300)]
    pub job_timeout_secs: u64,
    /// How often an idle worker looks for new jobs, in milliseconds.
    #[arg(long = "poll-interval-ms", env = "OCEAN_POLL_INTERVAL_MS", default_value_t = 250)]
    pub poll_interval_ms: u64,
    /// On SIGTERM, how long in-flight syncs may take to finish before the process exits, in seconds.
    /// Keep it below Kubernetes' terminationGracePeriodSeconds.
    #[arg(
        long = "shutdown-grace-secs",
        env = "OCEAN_SHUTDOWN_GRACE_SECS",
        default_value_t = 25
    )]
    pub shutdown_grace_secs: u64,
    /// Lifetime of an account's sync lease, in seconds; the running sync renews it every third of it.
    /// A crashed worker's account can sync again after at most this long.
    #[arg(long = "lease-ttl-secs", env = "OCEAN_LEASE_TTL_SECS", default_value_t = 10)]
    pub lease_ttl_secs: u64,
    /// Worker heartbeat to Redis, in seconds. A worker silent for `heartbeat × missed-heartbeats` is dead
    /// and its jobs are re-enqueued by the others.
    #[arg(long = "heartbeat-secs", env = "OCEAN_HEARTBEAT_SECS", default_value_t = 3)]
    pub heartbeat_secs: u64,
    /// Missed heartbeats after which a worker counts as dead.
    #[arg(long = "missed-heartbeats", env = "OCEAN_MISSED_HEARTBEATS", default_value_t = 3)]
    pub missed_heartbeats: usize,
    /// Failed syncs in a row after which an account is paused until its credentials or settings change or
    /// someone resumes it.
    #[arg(
        long = "pause-after-failures",
        env = "OCEAN_PAUSE_AFTER_FAILURES",
        default_value_t = 5
    )]
    pub pause_after_failures: i32,
    /// Marketplace pages (product pages, order windows, stock batches) one job may fetch before it saves
    /// its checkpoints and queues a continuation behind the other waiting jobs, so a huge shop cannot hold
    /// a worker for long.
    #[arg(long = "job-page-budget", env = "OCEAN_JOB_PAGE_BUDGET", default_value_t = 40)]
    pub page_budget: u32,
    /// How far back the first sync of an account reads orders, in days.
    #[arg(
        long = "order-lookback-days",
        env = "OCEAN_ORDER_LOOKBACK_DAYS",
        default_value_t = 30
    )]
    pub order_lookback_days: u32,
    /// For a marketplace that lists orders only by creation time (Tokopedia), each sync reads again from
    /// the oldest order created within this many days whose status can still change, so its changes are
    /// seen; 0 reads only from the cursor.
    #[arg(
        long = "order-status-horizon-days",
        env = "OCEAN_ORDER_STATUS_HORIZON_DAYS",
        default_value_t = 7
    )]
    pub order_status_horizon_days: u32,
}

/// The documented defaults (those of the command line, so the two cannot drift apart).
impl Default for WorkerSettings {
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            worker: WorkerSettings,
        }
        <Defaults as clap::Parser>::parse_from(["ocean-worker"]).worker
    }
}

impl WorkerSettings {
    pub fn job_timeout(&self) -> Duration {
        Duration::from_secs(self.job_timeout_secs)
    }

    pub fn lease_ttl(&self) -> Duration {
        Duration::from_secs(self.lease_ttl_secs.max(3))
    }

    /// Queue timing for this worker (heartbeat and fetch batch).
    pub fn queue_timing(&self) -> QueueTiming {
        QueueTiming {
            heartbeat: Duration::from_secs(self.heartbeat_secs.max(1)),
            missed_heartbeats: self.missed_heartbeats.max(2),
            batch_size: self.concurrency.max(1),
        }
    }
}

/// A name unique to this process start: apalis refuses a name seen within the orphan window, and two live
/// workers sharing a name would hide each other's death.
pub fn unique_worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let started = chrono::Utc::now().timestamp_millis();
    format!("{host}-{}-{started}", std::process::id())
}

/// Runs the worker until `shutdown` is cancelled, then drains within the grace period.
pub async fn run(
    ctx: SyncContext,
    queue: SyncQueue,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let name = ctx.worker_name.clone();
    let poll = Duration::from_millis(settings.poll_interval_ms);
    // Backstop only: the sync enforces its own timeout so it can record the failure.
    let timeout = settings.job_timeout() + Duration::from_secs(15);
    let concurrency = settings.concurrency.max(1);
    tracing::info!(worker = %name, queue = queue.name(), concurrency, "worker starting");
    let (pool, owner) = (ctx.pool.clone(), ctx.worker_name.clone());
    let stopped = Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(format!("{name}-{restarts}"))
                .backend(queue.storage().poll_with_interval(poll))
                .concurrency(concurrency)
                .timeout(timeout)
                .catch_panic()
                .enable_tracing()
                .data(ctx.clone())
                .build(handle_job)
        })
        .should_restart(|worker, error| {
            // Any Redis hiccup is fatal to an apalis worker; a fresh one (with a new name) takes over.
            tracing::error!(worker = worker.name(), %error, "worker stopped on a backend error; restarting");
            true
        })
        .shutdown_timeout(Duration::from_secs(settings.shutdown_grace_secs))
        .run_with_signal(async move {
            shutdown.cancelled().await;
            Ok(())
        })
        .await
        .context("Worker monitor failed");
    // Syncs still running after the grace period are handed back now rather than after their lease
    // lapses: the next scheduler tick feeds them to another worker.
    match leases::abandon_owned(&pool, &owner).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            syncs = n,
            "handed back syncs that did not finish within the grace period"
        ),
        Err(e) => tracing::warn!(error.message = %e, "could not hand back unfinished syncs; their leases lapse"),
    }
    stopped
}

/// The apalis handler. A sync that fails against the marketplace is recorded in Postgres and acknowledged
/// (the schedule decides when to try again); only a failure to record anything is returned as an error,
/// so apalis keeps the job and delivers it again.
async fn handle_job(job: SyncJob, ctx: Data<SyncContext>) -> Result<(), BoxDynError> {
    let trigger = job.trigger.as_str();
    metrics::counter!(monitoring::JOBS_STARTED, "trigger" => trigger).increment(1);
    let started = std::time::Instant::now();
    // The sync runs in its own task: if apalis drops this job (its worker restarts after a Redis error),
    // the sync still finishes and records its outcome instead of leaving its account mid-sync.
    let sync = tokio::spawn({
        let (ctx, job) = ((*ctx).clone(), job.clone());
        async move { run_sync(&ctx, &job).await }
    });
    let outcome = sync.await?.map_err(|e| {
        tracing::error!(account_id = %job.account_id, error.message = %e, error.cause_chain = ?e, "sync could not be recorded");
        e
    })?;
    metrics::counter!(monitoring::JOBS_FINISHED, "trigger" => trigger, "outcome" => outcome.as_str()).increment(1);
    metrics::histogram!(monitoring::SYNC_DURATION, "outcome" => outcome.as_str())
        .record(started.elapsed().as_secs_f64());
    Ok(())
}

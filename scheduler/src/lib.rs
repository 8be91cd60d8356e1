//! The scheduler: every tick it turns due schedules into sync intents in Postgres and feeds intents to
//! the Redis queue, never more than the queue's high-water mark.
//!
//! Replicas need no leader: every claim is `FOR UPDATE SKIP LOCKED` in the transaction that changes the
//! row, so a due slot becomes one intent and an intent is fed by one replica. Intents stay in Postgres until
//! a worker starts them, so the queue holds only a bounded window of work (apalis-redis wedges past ~8,000
//! due jobs), a sync-all over any number of accounts is accepted at once, and a Redis that lost its data is
//! simply fed again.

mod app;

use std::{collections::BTreeSet, time::Duration};

use anyhow::Context;
use clap::Args;
use ocean_core::{
    db::{intents, leases},
    feed, monitoring,
    queue::SyncQueue,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use app::{Application, Settings};

/// Scheduler tuning.
#[derive(Args, Debug, Clone)]
pub struct SchedulerSettings {
    /// Time between two ticks, in milliseconds.
    #[arg(long = "tick-ms", env = "OCEAN_SCHEDULER_TICK_MS", default_value_t = 1000)]
    pub tick_ms: u64,
    /// Most due accounts turned into intents in one tick.
    #[arg(long = "claim-batch", env = "OCEAN_SCHEDULER_BATCH", default_value_t = 500)]
    pub batch: i64,
    /// Most jobs waiting in the queue (due and not yet started); intents beyond it wait in Postgres.
    /// Keep it well below apalis-redis' ~8,000 limit and above what the workers start per tick.
    #[arg(long = "queue-high-water", env = "OCEAN_QUEUE_HIGH_WATER", default_value_t = 1000)]
    pub high_water: u64,
    /// Last resort for a job Redis dropped without losing the rest (nothing a process can observe): an
    /// intent whose job was pushed this many seconds ago and has not started is fed again, and counted.
    /// A Redis that lost its data, a crashed or stopped worker and a failed push are all recovered
    /// without this wait.
    #[arg(long = "requeue-after-secs", env = "OCEAN_REQUEUE_AFTER_SECS", default_value_t = 600)]
    pub requeue_after_secs: u64,
    /// The workers' job timeout (the same variable as theirs), in seconds. A lease still renewed a minute
    /// past it has outlived its job: it is taken back and counted.
    #[arg(long = "job-timeout-secs", env = "OCEAN_JOB_TIMEOUT_SECS", default_value_t = 300)]
    pub job_timeout_secs: u64,
}

/// The documented defaults (those of the command line, so the two cannot drift apart).
impl Default for SchedulerSettings {
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            scheduler: SchedulerSettings,
        }
        <Defaults as clap::Parser>::parse_from(["ocean-scheduler"]).scheduler
    }
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Due schedules turned into intents.
    pub scheduled: u64,
    /// Intents pushed to the queue.
    pub fed: usize,
    /// Intents whose jobs Redis lost, made feedable again.
    pub recovered: u64,
    /// Syncs whose lease lapsed (their worker died), handed back to be fed again.
    pub reaped: u64,
    /// States the bookkeeping should never reach, healed (see `intents::repair`).
    pub repairs: intents::Repairs,
}

/// How often account and queue gauges are recomputed (the account counts scan the table).
const GAUGE_REFRESH: Duration = Duration::from_secs(15);
/// How often finished jobs are pruned from Redis, and how long they stay there after finishing (as long as
/// an idempotency key lives, so a job stays inspectable while its key still blocks a duplicate).
const PRUNE_EVERY: Duration = Duration::from_secs(60);
pub const KEEP_FINISHED_JOBS: Duration = Duration::from_secs(3600);

/// Runs ticks until `shutdown` is cancelled. Errors are logged and retried on the next tick.
pub async fn run(pool: PgPool, queue: SyncQueue, settings: SchedulerSettings, shutdown: CancellationToken) {
    let tick = Duration::from_millis(settings.tick_ms.max(10));
    let mut gauges_refreshed: Option<std::time::Instant> = None;
    let mut pruned_at: Option<std::time::Instant> = None;
    tracing::info!(
        queue = queue.name(),
        tick_ms = settings.tick_ms,
        high_water = settings.high_water,
        "scheduler starting"
    );
    loop {
        let result = run_tick(&pool, &queue, &settings).await;
        let label = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!(monitoring::SCHEDULER_TICKS, "result" => label).increment(1);
        match result {
            Ok(report) if report != TickReport::default() => {
                tracing::info!(
                    scheduled = report.scheduled,
                    fed = report.fed,
                    recovered = report.recovered,
                    reaped = report.reaped,
                    "tick"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error.message = %e, error.cause_chain = ?e, "tick failed; retrying next tick"),
        }
        if gauges_refreshed.is_none_or(|at| at.elapsed() >= GAUGE_REFRESH) {
            gauges_refreshed = Some(std::time::Instant::now());
            if let Err(e) = export_gauges(&pool, &queue).await {
                tracing::warn!(error.message = %e, "could not refresh gauges");
            }
        }
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(std::time::Instant::now());
            match queue.prune(KEEP_FINISHED_JOBS).await {
                Ok(removed) => metrics::counter!(monitoring::JOBS_PRUNED).increment(removed),
                Err(e) => tracing::warn!(error.message = %e, "could not prune finished jobs"),
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {}
        }
    }
    tracing::info!("scheduler stopped");
}

/// One tick: notice a Redis that lost its data, take back lapsed leases, heal what should not happen,
/// turn due schedules into intents, feed intents.
pub async fn run_tick(pool: &PgPool, queue: &SyncQueue, settings: &SchedulerSettings) -> anyhow::Result<TickReport> {
    let mut report = TickReport {
        recovered: feed::recover_lost_jobs(pool, queue).await?,
        ..TickReport::default()
    };
    let mut conn = pool.acquire().await?;
    report.reaped = leases::reap_lapsed(&mut *conn)
        .await
        .context("Failed to take back lapsed leases")?;
    if report.reaped > 0 {
        tracing::warn!(
            syncs = report.reaped,
            "syncs whose worker stopped renewing their lease run again"
        );
        metrics::counter!(monitoring::LEASES_REAPED).increment(report.reaped);
    }
    let timeout = Duration::from_secs(settings.job_timeout_secs);
    let requeue = Duration::from_secs(settings.requeue_after_secs);
    report.repairs = intents::repair(&mut conn, timeout, requeue)
        .await
        .context("Failed to check the intents")?;
    for (kind, count) in report.repairs.by_kind() {
        if count > 0 {
            tracing::error!(kind, count, "healed intents in a state that should not happen");
            metrics::counter!(monitoring::INTENT_REPAIRS, "kind" => kind).increment(count);
        }
    }
    drop(conn);

    let mut tx = pool.begin().await.context("Failed to begin the claim transaction")?;
    report.scheduled = intents::claim_due(&mut tx, settings.batch)
        .await
        .context("Failed to claim due accounts")?;
    tx.commit().await.context("Failed to commit the claim transaction")?;
    metrics::counter!(monitoring::INTENTS_SCHEDULED).increment(report.scheduled);

    let room = settings.high_water.saturating_sub(queue.depth().await?);
    let fed = feed::feed_window(pool, queue, room as i64).await?;
    let now = chrono::Utc::now();
    for intent in &fed {
        let lag = (now - intent.requested_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!(monitoring::SCHEDULER_LAG).record(lag);
    }
    report.fed = fed.len();
    Ok(report)
}

/// Queue depth and in-flight jobs, waiting intents, and accounts by status and freshness. Every replica
/// exports them; dashboards take the max over replicas.
async fn export_gauges(pool: &PgPool, queue: &SyncQueue) -> anyhow::Result<()> {
    metrics::gauge!(monitoring::QUEUE_DEPTH).set(queue.depth().await? as f64);
    metrics::gauge!(monitoring::QUEUE_INFLIGHT).set(queue.inflight().await? as f64);
    let mut conn = pool.acquire().await?;
    metrics::gauge!(monitoring::INTENTS_WAITING).set(intents::waiting_intents(&mut conn).await? as f64);
    let (by_status, by_freshness) = intents::account_gauges(&mut conn).await?;
    // Every known label gets a value (zero included), so a state that empties does not keep its old count.
    let integrations: BTreeSet<&String> = by_status.iter().map(|(i, _, _)| i).collect();
    let count = |rows: &[(String, String, i64)], integration: &str, label: &str| {
        rows.iter()
            .find(|(i, l, _)| i == integration && l == label)
            .map_or(0, |(_, _, c)| *c) as f64
    };
    for integration in integrations {
        for status in ["active", "inactive", "error", "pending"] {
            metrics::gauge!(monitoring::ACCOUNTS, "integration" => integration.clone(), "status" => status).set(count(
                &by_status,
                integration,
                status,
            ));
        }
        for freshness in ["on_time", "delayed", "stale"] {
            metrics::gauge!(monitoring::ACCOUNTS_FRESHNESS, "integration" => integration.clone(), "freshness" => freshness)
                .set(count(&by_freshness, integration, freshness));
        }
    }
    Ok(())
}

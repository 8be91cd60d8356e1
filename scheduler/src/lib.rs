//! The scheduler: every tick it claims due accounts in Postgres and enqueues one sync job for each.
//!
//! Replicas need no leader. The claim (`FOR UPDATE SKIP LOCKED`) and the move of `next_sync_at` happen
//! in one transaction, so a due slot goes to exactly one replica. The job is pushed before that
//! transaction commits, with the idempotency key `account:{id}:{slot}`: if the commit fails, the row stays
//! due and the next claim pushes the same key, which Redis drops. So a slot is emitted at least once and
//! enqueued at most once.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ocean_shared::{
    db::schedule,
    domain::SyncTrigger,
    queue::{SyncJob, SyncQueue},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Scheduler tuning.
#[derive(Args, Debug, Clone)]
pub struct SchedulerSettings {
    /// Time between two ticks, in milliseconds.
    #[arg(long = "tick-ms", env = "OCEAN_SCHEDULER_TICK_MS", default_value_t = 1000)]
    pub tick_ms: u64,
    /// Most accounts claimed in one tick.
    #[arg(long = "claim-batch", env = "OCEAN_SCHEDULER_BATCH", default_value_t = 500)]
    pub batch: i64,
    /// A sync request (sync-now, sync-all) whose job was pushed this many seconds ago and has not
    /// started is enqueued again: the job was lost (Redis flush, failover) or never pushed.
    #[arg(long = "requeue-after-secs", env = "OCEAN_REQUEUE_AFTER_SECS", default_value_t = 60)]
    pub requeue_after_secs: u64,
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Scheduled syncs enqueued.
    pub scheduled: usize,
    /// Stale sync requests enqueued again.
    pub requeued: usize,
}

/// Runs ticks until `shutdown` is cancelled. Errors are logged and retried on the next tick.
pub async fn run(pool: PgPool, queue: SyncQueue, settings: SchedulerSettings, shutdown: CancellationToken) {
    let tick = Duration::from_millis(settings.tick_ms.max(10));
    tracing::info!(queue = queue.name(), tick_ms = settings.tick_ms, "scheduler starting");
    loop {
        match run_tick(&pool, &queue, &settings).await {
            Ok(report) if report != TickReport::default() => {
                tracing::info!(
                    scheduled = report.scheduled,
                    requeued = report.requeued,
                    "tick emitted jobs"
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error.message = %e, error.cause_chain = ?e, "tick failed; retrying next tick")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(tick) => {}
        }
    }
    tracing::info!("scheduler stopped");
}

/// One tick: emit due scheduled syncs, then re-emit stale sync requests.
pub async fn run_tick(pool: &PgPool, queue: &SyncQueue, settings: &SchedulerSettings) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    let mut tx = pool.begin().await.context("Failed to begin the claim transaction")?;
    let due = schedule::claim_due(&mut tx, settings.batch)
        .await
        .context("Failed to claim due accounts")?;
    for account in &due {
        let job = SyncJob {
            account_id: account.id,
            trigger: SyncTrigger::Schedule,
            requested_at: account.due_at,
        };
        let key = format!("account:{}:{}", account.id, account.due_at.timestamp());
        queue.push(job, Some(key)).await?;
        report.scheduled += 1;
    }
    tx.commit().await.context("Failed to commit the claim transaction")?;

    let mut tx = pool.begin().await.context("Failed to begin the requeue transaction")?;
    let stale = schedule::claim_stale_requests(&mut tx, settings.requeue_after_secs as f64, settings.batch)
        .await
        .context("Failed to read stale sync requests")?;
    for request in &stale {
        let trigger = request
            .trigger
            .as_deref()
            .and_then(SyncTrigger::parse)
            .unwrap_or(SyncTrigger::Manual);
        let job = SyncJob {
            account_id: request.id,
            trigger,
            requested_at: request.requested_at,
        };
        // No idempotency key: the row lock already gives the request to one replica, and the earlier
        // job's key may still live in Redis although that job is gone.
        queue.push(job, None).await?;
        report.requeued += 1;
    }
    tx.commit().await.context("Failed to commit the requeue transaction")?;
    Ok(report)
}

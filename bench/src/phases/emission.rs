//! Scheduler emission: many due accounts (one `generate_series` INSERT, as `e2e/tests/e2e/feeding.rs` does)
//! turned into intents by `intents::claim_due` in batches, then one high-water window fed into Redis by
//! `run_tick` (its SQL timed alone first, in a rolled-back transaction).

use std::time::Instant;

use anyhow::Context;
use ocean_core::{
    db::intents,
    queue::{self, SyncQueue},
};
use ocean_scheduler::{SchedulerSettings, run_tick};
use serde::Serialize;

use crate::{cli::Settings, harness::Phase};

/// Apps the accounts are spread over (the feed's fairness partitions by app).
const APPS: i64 = 20;

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct EmissionResult {
    pub accounts: i64,
    pub insert_secs: f64,
    pub claim_batch: i64,
    pub claim_transactions: u64,
    pub claimed: u64,
    pub claim_secs: f64,
    pub claimed_per_sec: f64,
    /// The scheduler's own batch and tick (defaults): the most one replica claims per second.
    pub default_batch: i64,
    pub default_tick_ms: u64,
    pub high_water: u64,
    /// `claim_feedable` for one window over every waiting intent, alone (rolled back).
    pub feed_sql_secs: f64,
    /// One `run_tick` that fed the window: epoch check, empty claim, feed SQL and one push per job.
    pub fed: usize,
    pub feed_secs: f64,
    pub queue_depth_after: u64,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<EmissionResult> {
    let pool = &phase.pool;
    let started = Instant::now();
    sqlx::query(
        r#"INSERT INTO integration_accounts (integration_id, account_name, account_identifier, credentials,
                                             enabled, auto_sync, status, sync_interval_minutes, next_sync_at)
           SELECT 'tokopedia', 'Toko ' || n, 'bulk_' || n,
                  jsonb_build_object('fs_id', 100 + n % $2, 'shop_id', 1000 + n, 'client_id', 'app-' || n % $2),
                  true, true, 'active', 15, now() - make_interval(secs => 60 + n % 600)
           FROM generate_series(1, $1) AS n"#,
    )
    .bind(settings.due_accounts)
    .bind(APPS)
    .execute(pool)
    .await
    .context("Failed to insert the due accounts")?;
    // A production table has planner statistics; a just-filled one would be planned as empty. They are
    // taken before the mass claim on purpose: right after a sync-all the statistics say that almost
    // nothing waits, and the feed must not depend on them.
    sqlx::query("ANALYZE integration_accounts")
        .execute(pool)
        .await
        .context("Failed to analyze")?;
    let insert_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let (mut claimed, mut transactions) = (0u64, 0u64);
    loop {
        let mut tx = pool.begin().await.context("Failed to begin a claim")?;
        let n = intents::claim_due(&mut tx, settings.claim_batch)
            .await
            .context("claim_due failed")?;
        tx.commit().await.context("Failed to commit a claim")?;
        transactions += 1;
        claimed += n;
        if n == 0 {
            break;
        }
    }
    let claim_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        claimed == settings.due_accounts as u64,
        "claimed {claimed} of {} due accounts",
        settings.due_accounts
    );

    let mut tx = pool.begin().await.context("Failed to begin the feed probe")?;
    let started = Instant::now();
    let probe = intents::claim_feedable(&mut tx, settings.high_water as i64)
        .await
        .context("claim_feedable failed")?;
    let feed_sql_secs = started.elapsed().as_secs_f64();
    tx.rollback().await.context("Failed to roll back the feed probe")?;
    anyhow::ensure!(!probe.is_empty(), "no intent to feed");

    let redis = phase.redis_settings("sync");
    let queue = SyncQueue::new(
        queue::connect(&redis).await?,
        &redis.queue_name,
        ocean_worker::WorkerSettings::default().queue_timing(),
    );
    // The first tick of a deployment marks the Redis epoch; do it outside the timed tick.
    queue.mark_epoch().await?;
    let defaults = ocean_scheduler::SchedulerSettings::default();
    let tick = SchedulerSettings {
        batch: 0,
        high_water: settings.high_water,
        ..defaults.clone()
    };
    let started = Instant::now();
    let report = run_tick(pool, &queue, &tick).await.context("run_tick failed")?;
    let feed_secs = started.elapsed().as_secs_f64();

    Ok(EmissionResult {
        accounts: settings.due_accounts,
        insert_secs,
        claim_batch: settings.claim_batch,
        claim_transactions: transactions,
        claimed,
        claim_secs,
        claimed_per_sec: claimed as f64 / claim_secs.max(1e-6),
        default_batch: defaults.batch,
        default_tick_ms: defaults.tick_ms,
        high_water: settings.high_water,
        feed_sql_secs,
        fed: report.fed,
        feed_secs,
        queue_depth_after: queue.depth().await?,
    })
}

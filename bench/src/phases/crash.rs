//! Crash to resume: two release workers with the default heartbeat and lease, one slow shop; the worker holding
//! the account's lease is SIGKILLed once it has written products, and the clock runs until the account's
//! `last_sync_started_at` moves past the kill (measured as `worker/tests/crash.rs` does).

use std::time::{Duration, Instant};

use anyhow::Context;
use ocean_core::{
    db::{accounts, catalog},
    domain::{Account, AccountId},
};
use ocean_sim::ShopConfig;
use ocean_testkit::pid_of;
use serde::Serialize;
use sqlx::PgPool;

use crate::{
    cli::Settings,
    harness::Phase,
    processes::{self, Workers},
    seed,
};

/// Latency of every marketplace call to the slow shop, so the sync lasts seconds.
const SHOP_LATENCY_MS: u64 = 150;

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct CrashResult {
    /// Worker heartbeat to Redis (worker default).
    pub heartbeat_secs: u64,
    /// Missed heartbeats after which a worker is dead (worker default).
    pub missed_heartbeats: usize,
    /// Account lease TTL (worker default).
    pub lease_ttl_secs: u64,
    /// Scheduler tick (scheduler default); a deferred intent is fed on a tick.
    pub scheduler_tick_ms: u64,
    pub products: usize,
    /// Products the victim had written when it was killed.
    pub written_before_kill: i64,
    /// SIGKILL to the sync starting again (`last_sync_started_at` of the re-run minus the kill time).
    pub kill_to_restart_secs: f64,
    /// SIGKILL to the re-run's recorded success.
    pub kill_to_completed_secs: f64,
    /// Jobs a surviving worker skipped because the dead worker's lease was still live.
    pub skipped_on_live_lease: i64,
    /// Whether the survivor completed it (the victim is dead, so anything else is a bug).
    pub completed_by_survivor: bool,
    /// The account's sync log after the kill: what happened when, to explain the figure.
    pub timeline: Vec<Event>,
}

/// One `integration_logs` row, timed from the kill.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Event {
    pub secs_after_kill: f64,
    pub outcome: String,
    pub message: Option<String>,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<CrashResult> {
    let shop = ShopConfig {
        products: settings.crash_products,
        orders: 300,
        order_days: 30,
        latency_ms: SHOP_LATENCY_MS,
        ..ShopConfig::default()
    };
    let app = seed::one_app(1, 67_890, shop);
    let (sim, _) = seed::unthrottled_sim(&app).await?;
    let defaults = ocean_worker::WorkerSettings::default();
    let scheduler = ocean_scheduler::SchedulerSettings::default();
    let (_, launcher, keyring) = processes::queue_and_launcher(phase, settings, "crash").await?;
    // The shop's latency makes the sync slow; heartbeat, lease and poll interval are the defaults.
    let mut workers = launcher.spawn(phase, &sim, 2, &processes::UNTHROTTLED)?;
    let ids = seed::create_accounts(&phase.pool, &keyring, &app).await?;
    let account = ids[0];
    let _scheduler = processes::spawn_scheduler(phase, phase.redis_settings("sync"), scheduler.clone()).await;

    let pool = &phase.pool;
    let every = Duration::from_millis(50);
    let (owner, written) = ocean_testkit::wait_until("a worker to be mid-sync", Duration::from_secs(60), every, || {
        let alive = workers.check();
        async move {
            alive?;
            let owner: Option<String> =
                sqlx::query_scalar("SELECT lease_owner FROM integration_accounts WHERE id = $1")
                    .bind(account)
                    .fetch_one(pool)
                    .await
                    .context("Failed to read the lease owner")?;
            let written = catalog::counts(pool, account)
                .await
                .context("Failed to count products")?
                .products;
            Ok(owner.filter(|_| written > 0).map(|o| (o, written)))
        }
    })
    .await?;
    let victim_pid = pid_of(&owner).with_context(|| format!("no pid in worker name {owner}"))?;
    let victim = workers
        .position(victim_pid)
        .with_context(|| format!("the lease holder {owner} is none of our workers"))?;
    let first_start = accounts::get(pool, account).await?.and_then(|a| a.last_sync_started_at);
    workers.kill(victim)?;
    let killed_at = Instant::now();
    let killed_wall = chrono::Utc::now();

    // The first start after the kill is the re-run; later starts are continuations (page budget), so the
    // start time is caught as it changes rather than read at the end.
    let restarted = poll_account(&mut workers, pool, account, "the sync to start again", |a| {
        a.last_sync_started_at.filter(|&s| Some(s) > first_start)
    })
    .await?;
    poll_account(&mut workers, pool, account, "the re-run to complete", |a| {
        (a.sync_count >= 1).then_some(())
    })
    .await?;
    let completed_secs = killed_at.elapsed().as_secs_f64();
    workers.stop().await;

    let (skipped, survivor): (i64, Option<String>) = sqlx::query_as(
        r#"SELECT count(*) FILTER (WHERE outcome = 'skipped' AND message LIKE 'another sync%'),
                  max(details->>'worker') FILTER (WHERE outcome = 'success')
           FROM integration_logs WHERE account_id = $1 AND kind = 'sync'"#,
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .context("Failed to read the sync logs")?;
    let timeline = sqlx::query_as(
        r#"SELECT extract(epoch FROM created_at - $2)::float8 AS secs_after_kill, outcome, message
           FROM integration_logs WHERE account_id = $1 AND kind = 'sync' ORDER BY created_at"#,
    )
    .bind(account)
    .bind(killed_wall)
    .fetch_all(pool)
    .await
    .context("Failed to read the sync timeline")?;
    Ok(CrashResult {
        heartbeat_secs: defaults.heartbeat_secs,
        missed_heartbeats: defaults.missed_heartbeats,
        lease_ttl_secs: defaults.lease_ttl().as_secs(),
        scheduler_tick_ms: scheduler.tick_ms,
        products: settings.crash_products,
        written_before_kill: written,
        kill_to_restart_secs: (restarted - killed_wall).num_milliseconds() as f64 / 1000.0,
        kill_to_completed_secs: completed_secs,
        skipped_on_live_lease: skipped,
        completed_by_survivor: survivor
            .as_deref()
            .and_then(pid_of)
            .is_some_and(|pid| pid != victim_pid),
        timeline,
    })
}

/// Polls the account until `found` yields, failing if a surviving worker exits.
async fn poll_account<T>(
    workers: &mut Workers,
    pool: &PgPool,
    account: AccountId,
    what: &str,
    found: impl Fn(&Account) -> Option<T>,
) -> anyhow::Result<T> {
    let found = &found;
    ocean_testkit::wait_until(what, Duration::from_secs(90), Duration::from_millis(50), || {
        let alive = workers.check();
        async move {
            alive?;
            let account = accounts::get(pool, account)
                .await
                .context("Failed to read the account")?;
            Ok(account.as_ref().and_then(found))
        }
    })
    .await
}

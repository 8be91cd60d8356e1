//! Repeated crashes under load: a fleet of 1-minute accounts on three release workers and two scheduler
//! replicas; again and again a worker holding a live lease is SIGKILLed, sync-nows are requested on random
//! accounts at that very moment (the live lease of the dead worker makes them wait), and the worker is
//! started again. After the last kill every account must have synced again within two intervals, and
//! every sync-now must have been served by a sync that started after it; otherwise the phase fails.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use ocean_core::{
    db::intents::{self, SyncRequest},
    domain::{AccountId, SyncTrigger},
    feed,
    queue::SyncQueue,
};
use ocean_sim::ShopConfig;
use ocean_testkit::pid_of;
use rand::Rng;
use serde::Serialize;
use sqlx::PgPool;

use crate::{cli::Settings, harness::Phase, processes, seed};

const WORKERS: usize = 3;
const SCHEDULERS: usize = 2;
/// The shortest interval an account can have; the bound below is two of them.
const INTERVAL: Duration = Duration::from_secs(60);
/// Sync-nows requested at each kill.
const SYNC_NOWS_PER_KILL: usize = 3;
/// Time between two kills: twenty of them span more than an interval, so scheduled syncs, re-runs and
/// sync-nows mix.
const KILL_EVERY: Duration = Duration::from_secs(4);

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct KillsResult {
    pub accounts: usize,
    pub workers: usize,
    pub schedulers: usize,
    pub kills: usize,
    pub sync_nows: usize,
    /// Worker defaults: how long a dead worker's lease keeps its account.
    pub lease_ttl_secs: u64,
    /// From the last kill until every account had a sync that started after it and finished.
    pub last_kill_to_all_synced_secs: f64,
    /// The bound checked: two intervals.
    pub bound_secs: u64,
    /// Re-runs of syncs that died with their worker (`retry` jobs in the sync log).
    pub retries: i64,
    /// Jobs that found their account syncing (a dead worker's live lease, or a running sync).
    pub busy_skips: i64,
    pub successes: i64,
    pub failures: i64,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<KillsResult> {
    let shop = ShopConfig {
        products: 300,
        orders: 60,
        order_days: 2,
        // A sync takes a few seconds, so a kill lands mid-sync.
        latency_ms: 60,
        ..ShopConfig::default()
    };
    let app = seed::one_app(settings.kill_accounts, 91_000, shop);
    let (sim, _) = seed::unthrottled_sim(&app).await?;
    let defaults = ocean_worker::WorkerSettings::default();
    let (queue, launcher, keyring) = processes::queue_and_launcher(phase, settings, "kills").await?;
    let env = [
        processes::UNTHROTTLED[0],
        processes::UNTHROTTLED[1],
        ("OCEAN_ORDER_LOOKBACK_DAYS", "2"),
    ];
    let mut workers = launcher.spawn(phase, &sim, WORKERS, &env)?;
    let ids = seed::create_accounts(&phase.pool, &keyring, &app).await?;
    sqlx::query("UPDATE integration_accounts SET sync_interval_minutes = $1")
        .bind((INTERVAL.as_secs() / 60) as i32)
        .execute(&phase.pool)
        .await
        .context("Failed to set the interval")?;
    let mut _schedulers = Vec::with_capacity(SCHEDULERS);
    for _ in 0..SCHEDULERS {
        let settings = ocean_scheduler::SchedulerSettings::default();
        _schedulers.push(processes::spawn_scheduler(phase, phase.redis_settings("sync"), settings).await);
    }

    let pool = &phase.pool;
    let mut requests: Vec<SyncRequest> = Vec::new();
    let mut last_kill = Utc::now();
    let mut kills = 0;
    while kills < settings.kills {
        if kills > 0 {
            tokio::time::sleep(KILL_EVERY).await;
        }
        let victim = ocean_testkit::wait_until(
            "a live worker to hold a lease",
            Duration::from_secs(60),
            Duration::from_millis(20),
            || {
                let alive = workers.check();
                // Leases of workers killed earlier linger until they lapse: only a live holder counts.
                let live = workers.live_pids();
                let owners = lease_owners(pool);
                async move {
                    alive?;
                    let owners = owners.await?;
                    Ok(owners.iter().filter_map(|o| pid_of(o)).find(|pid| live.contains(pid)))
                }
            },
        )
        .await?;
        let n = workers
            .live_position(victim)
            .context("the lease holder is one of our workers")?;
        workers.kill(n)?;
        last_kill = Utc::now();
        for _ in 0..SYNC_NOWS_PER_KILL {
            let id = ids[rand::rng().random_range(0..ids.len())];
            requests.push(sync_now(pool, &queue, id).await?);
        }
        launcher.respawn(phase, &sim, &mut workers, n, &env)?;
        kills += 1;
        tracing::info!(kills, worker = n, "killed a syncing worker and started it again");
    }
    let killed_at = Instant::now();

    let bound = INTERVAL * 2;
    let waited = ocean_testkit::wait_until(
        "every account to sync again and every sync-now to be served",
        bound,
        Duration::from_millis(250),
        || {
            let alive = workers.check();
            let pending = unsettled(pool, &ids, &requests, last_kill);
            async move {
                alive?;
                Ok(pending.await?.is_empty().then_some(()))
            }
        },
    )
    .await;
    if let Err(e) = waited {
        let stuck = unsettled(pool, &ids, &requests, last_kill).await?;
        return Err(e.context(format!("not served after two intervals: accounts {stuck:?}")));
    }
    let all_synced = killed_at.elapsed().as_secs_f64();
    workers.stop().await;

    let (retries, busy_skips, successes, failures): (i64, i64, i64, i64) = sqlx::query_as(
        r#"SELECT count(*) FILTER (WHERE trigger = 'retry' AND outcome IN ('success', 'failure', 'partial')),
                  count(*) FILTER (WHERE outcome = 'skipped' AND message LIKE 'another sync%'),
                  count(*) FILTER (WHERE outcome = 'success'),
                  count(*) FILTER (WHERE outcome = 'failure')
           FROM integration_logs WHERE kind = 'sync'"#,
    )
    .fetch_one(pool)
    .await
    .context("Failed to read the sync logs")?;
    Ok(KillsResult {
        accounts: ids.len(),
        workers: WORKERS,
        schedulers: SCHEDULERS,
        kills: settings.kills,
        sync_nows: requests.len(),
        lease_ttl_secs: defaults.lease_ttl().as_secs(),
        last_kill_to_all_synced_secs: all_synced,
        bound_secs: bound.as_secs(),
        retries,
        busy_skips,
        successes,
        failures,
    })
}

/// What the api's sync-now does: record the request, then push its job if the account can take it now.
async fn sync_now(pool: &PgPool, queue: &SyncQueue, id: AccountId) -> anyhow::Result<SyncRequest> {
    let request = intents::request_sync(pool, id, SyncTrigger::Manual)
        .await
        .context("Failed to request a sync")?
        .context("the account refused a sync")?;
    if let Err(e) = feed::feed_account(pool, queue, id).await {
        tracing::warn!(error.message = %e, "sync-now not pushed; the scheduler feeds it");
    }
    Ok(request)
}

/// Names of the workers holding a live lease.
async fn lease_owners(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT lease_owner FROM integration_accounts WHERE lease_owner IS NOT NULL AND lease_expires_at > now()",
    )
    .fetch_all(pool)
    .await
    .context("Failed to read the leases")
}

/// Accounts without a finished sync that started after `since`, or with a sync-now not served yet
/// (checked twice: by request number, and by a start after the request's time).
async fn unsettled(
    pool: &PgPool,
    ids: &[AccountId],
    requests: &[SyncRequest],
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<AccountId>> {
    type Row = (AccountId, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(
        r#"SELECT id, sync_served_seq, last_sync_started_at, last_sync_finished_at
           FROM integration_accounts WHERE id = ANY($1)"#,
    )
    .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
    .fetch_all(pool)
    .await
    .context("Failed to read the accounts")?;
    let mut stuck = Vec::new();
    for (id, served, started, finished) in rows {
        let finished_after = |at: DateTime<Utc>| started.is_some_and(|s| s > at) && finished >= started;
        let requests_served = requests
            .iter()
            .filter(|r| r.id == id)
            .all(|r| r.seq <= served && finished_after(r.requested_at));
        if !finished_after(since) || !requests_served {
            stuck.push(id);
        }
    }
    Ok(stuck)
}

//! Faults with real processes: worker processes (the `ocean-worker` binary) killed mid-sync, a private
//! `redis-server` flushed or restarted under them, a job delivered twice. After each, every request made
//! is served by a sync that started after it, and the account keeps syncing.
//!
//! Timing is controlled, not hoped for: the simulator answers slowly so a sync lasts many seconds, and
//! every step waits for the state it needs (a lease held by a given worker, a job consumed).

use std::time::Duration;

use ocean_core::{
    crypto::Keyring,
    db::{
        accounts,
        intents::{self, SyncRequest},
    },
    domain::{Account, AccountId, SyncTrigger},
    feed,
    queue::{SyncJob, SyncQueue},
};
use ocean_testkit::{
    SimServer, pid_of,
    redis_server::{Persistence, RedisServer},
    wait_for,
};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::process::Child;
use tokio_util::sync::CancellationToken;

const WORKER: &str = env!("CARGO_BIN_EXE_ocean-worker");

fn spawn_worker(pool: &PgPool, sim: &SimServer, queue: &SyncQueue, keys: &SecretString, redis: &str) -> Child {
    ocean_testkit::fast_worker_process(WORKER, pool, sim, queue.name(), keys)
        .env("REDIS_URL", redis)
        .env("OCEAN_JOB_TIMEOUT_SECS", "120")
        .spawn()
        .expect("start ocean-worker")
}

/// What the api's sync-now does: record the request, then push its job if the account can take it now.
async fn sync_now(pool: &PgPool, queue: &SyncQueue, id: AccountId) -> SyncRequest {
    let request = intents::request_sync(pool, id, SyncTrigger::Manual)
        .await
        .unwrap()
        .expect("account accepts a sync");
    let _ = feed::feed_account(pool, queue, id).await;
    request
}

async fn account(pool: &PgPool, id: AccountId) -> Account {
    accounts::get(pool, id).await.unwrap().expect("account exists")
}

/// Waits until a sync that started after `request` finished.
async fn wait_served(pool: &PgPool, request: SyncRequest, what: &str) -> Account {
    wait_for(what, Duration::from_secs(90), || async {
        let a = accounts::get(pool, request.id).await.ok()??;
        a.served(request.seq).then_some(a)
    })
    .await
}

/// The worker holding the account's lease once it has written something, as its pid.
async fn wait_syncing(pool: &PgPool, id: AccountId, what: &str) -> u32 {
    wait_for(what, Duration::from_secs(60), || async {
        let (owner, products): (Option<String>, i64) = sqlx::query_as(
            r#"SELECT lease_owner, (SELECT count(*) FROM marketplace_products p WHERE p.account_id = a.id)
               FROM integration_accounts a WHERE id = $1"#,
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .ok()?;
        owner.filter(|_| products > 0).as_deref().and_then(pid_of)
    })
    .await
}

/// The bookkeeping at rest: nothing running, nothing out, nothing waiting, every request served.
async fn assert_settled(pool: &PgPool, id: AccountId) {
    let at_rest = wait_for("the account to settle", Duration::from_secs(90), || async {
        let row: (Option<String>, bool, bool, i64, i64) = sqlx::query_as(
            r#"SELECT lease_owner, sync_requested_at IS NOT NULL, sync_enqueued_at IS NOT NULL,
                      sync_request_seq, sync_served_seq
               FROM integration_accounts WHERE id = $1"#,
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .ok()?;
        (row.0.is_none() && !row.1 && !row.2).then_some(row)
    })
    .await;
    assert_eq!(at_rest.3, at_rest.4, "every request is served");
}

/// The test's worker processes and its scheduler; the queue's namespace goes with the queue.
struct Workers {
    workers: Vec<Child>,
    stop: CancellationToken,
}

impl Workers {
    async fn stop(mut self) {
        self.stop.cancel();
        for worker in &mut self.workers {
            let _ = worker.kill().await;
        }
    }
}

/// The sequence that used to leave an account unsynced for good: a sync J dies with its worker, a
/// sync-now S comes while J's lease still lives, S runs on another worker once it lapses, and J is
/// delivered again while S runs (apalis re-delivers a dead worker's jobs). Then a sync-now must still be
/// served.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_crash_a_sync_now_and_a_redelivered_job_leave_every_request_served(pool: PgPool) {
    // About 250 ms per marketplace call: a job takes many seconds.
    let sim = SimServer::start(ocean_testkit::slow_shop(1000, 300, 250)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = Keyring::parse(&keys).unwrap();
    let redis = ocean_testkit::redis_url();
    let queue = ocean_testkit::fresh_queue().await;
    let a = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Crashy", 60).await;
    let stop = CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;
    let mut running = Workers {
        workers: vec![spawn_worker(&pool, &sim, &queue, &keys, &redis)],
        stop,
    };

    // J: the scheduled sync, running on the first worker.
    wait_syncing(&pool, a.id, "the scheduled sync to start").await;
    let j_seq: i64 = sqlx::query_scalar("SELECT sync_started_seq FROM integration_accounts WHERE id = $1")
        .bind(a.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let j = SyncJob {
        account_id: a.id,
        trigger: SyncTrigger::Schedule,
        seq: j_seq,
        requested_at: account(&pool, a.id).await.last_sync_started_at.unwrap(),
    };
    running.workers[0].kill().await.expect("SIGKILL");

    // S: a sync-now while J's lease still lives.
    let s = sync_now(&pool, &queue, a.id).await;
    running.workers.push(spawn_worker(&pool, &sim, &queue, &keys, &redis));
    let survivor = running.workers[1].id().unwrap();
    let started = wait_for("S to start on the other worker", Duration::from_secs(60), || async {
        let a = account(&pool, a.id).await;
        let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM integration_accounts WHERE id = $1")
            .bind(a.id)
            .fetch_one(&pool)
            .await
            .ok()?;
        let mine = owner.as_deref().and_then(pid_of) == Some(survivor);
        a.last_sync_started_at.filter(|at| mine && *at > s.requested_at)
    })
    .await;

    // J again, while S runs.
    let busy_before = busy_skips(&pool, a.id).await;
    queue.push(j, None).await.unwrap();
    wait_for("the re-delivered J to be handled", Duration::from_secs(30), || async {
        (busy_skips(&pool, a.id).await > busy_before).then_some(())
    })
    .await;
    let still: Option<chrono::DateTime<chrono::Utc>> = account(&pool, a.id).await.last_sync_started_at;
    assert_eq!(still, Some(started), "J arrived while S was running");

    wait_served(&pool, s, "S to be served").await;
    let after = sync_now(&pool, &queue, a.id).await;
    let served = wait_served(&pool, after, "a sync-now after it all to be served").await;
    assert!(
        served.last_sync_started_at.unwrap() > after.requested_at,
        "served by a sync that started after the request"
    );
    assert_settled(&pool, a.id).await;
    running.stop().await;
}

/// Jobs skipped because the account was already syncing.
async fn busy_skips(pool: &PgPool, id: AccountId) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM integration_logs WHERE account_id = $1 AND outcome = 'skipped' AND message LIKE 'another sync%'",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[derive(Debug, Clone, Copy)]
enum RedisFault {
    Flushall,
    RestartWithData,
    RestartEmpty,
}

/// A Redis fault while a sync runs: the sync in flight still records its outcome and lets go of its
/// lease, and the account syncs again at the next request.
async fn redis_fault_mid_sync(pool: PgPool, fault: RedisFault) {
    let persistence = match fault {
        RedisFault::RestartWithData => Persistence::Durable,
        RedisFault::Flushall | RedisFault::RestartEmpty => Persistence::None,
    };
    let mut server = RedisServer::start(persistence).await;
    let sim = SimServer::start(ocean_testkit::slow_shop(400, 100, 250)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::queue_on(&server.url()).await;
    let a = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Faulty", 60).await;
    let stop = CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;
    let running = Workers {
        workers: vec![spawn_worker(&pool, &sim, &queue, &keys, &server.url())],
        stop,
    };

    wait_syncing(&pool, a.id, "the first sync to start").await;
    let first_start = account(&pool, a.id).await.last_sync_started_at;
    match fault {
        RedisFault::Flushall => server.command(&["FLUSHALL"]).await,
        RedisFault::RestartWithData | RedisFault::RestartEmpty => server.restart().await,
    }

    // The sync in flight ends and records its outcome: the lease is let go, not renewed on and on.
    let ended = wait_for(
        "the sync in flight to record its outcome",
        Duration::from_secs(60),
        || async {
            let a = account(&pool, a.id).await;
            let finished = a
                .last_sync_finished_at
                .is_some_and(|f| first_start.is_some_and(|s| f >= s));
            finished.then_some(a)
        },
    )
    .await;
    assert_eq!(
        ended.error_count, 0,
        "{fault:?}: the sync succeeded: {:?}",
        ended.last_error
    );

    let request = sync_now(&pool, &queue, a.id).await;
    let served = wait_served(&pool, request, "a sync-now after the fault to be served").await;
    assert!(served.last_sync_started_at.unwrap() > request.requested_at);
    assert_settled(&pool, a.id).await;
    running.stop().await;
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn flushall_mid_sync_loses_no_sync(pool: PgPool) {
    redis_fault_mid_sync(pool, RedisFault::Flushall).await;
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_redis_restart_with_its_data_mid_sync_loses_no_sync(pool: PgPool) {
    redis_fault_mid_sync(pool, RedisFault::RestartWithData).await;
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_redis_restart_without_its_data_mid_sync_loses_no_sync(pool: PgPool) {
    redis_fault_mid_sync(pool, RedisFault::RestartEmpty).await;
}

/// Postgres unreachable from the worker for a while in the middle of a sync: the sync cannot record
/// anything, its lease lapses, and once Postgres is back the scheduler hands the sync back and it runs
/// again; nothing waits for the requeue delay.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_postgres_outage_mid_sync_ends_with_the_account_synced_again(pool: PgPool) {
    let options = pool.connect_options();
    let proxy = ocean_testkit::proxy::TcpProxy::start(&format!("{}:{}", options.get_host(), options.get_port())).await;
    let database = options.get_database().unwrap_or("postgres").to_owned();
    let sim = SimServer::start(ocean_testkit::slow_shop(400, 100, 250)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::fresh_queue().await;
    let a = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Outage", 60).await;
    let stop = CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;
    let worker = ocean_testkit::fast_worker_process(WORKER, &pool, &sim, queue.name(), &keys)
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@{}/{database}", proxy.addr()),
        )
        .spawn()
        .expect("start ocean-worker");
    let running = Workers {
        workers: vec![worker],
        stop,
    };

    wait_syncing(&pool, a.id, "the first sync to start").await;
    proxy.cut().await;
    // Down for longer than the lease (3 s): the worker cannot renew it, so it lapses and the scheduler
    // (which still reaches Postgres) hands the sync back.
    wait_for(
        "the lease to lapse while Postgres is unreachable",
        Duration::from_secs(30),
        || async {
            let lapsed: bool = sqlx::query_scalar(
                "SELECT lease_owner IS NULL OR lease_expires_at < now() FROM integration_accounts WHERE id = $1",
            )
            .bind(a.id)
            .fetch_one(&pool)
            .await
            .ok()?;
            lapsed.then_some(())
        },
    )
    .await;
    proxy.restore();

    let request = sync_now(&pool, &queue, a.id).await;
    let served = wait_served(&pool, request, "a sync-now after the outage to be served").await;
    assert!(served.last_sync_started_at.unwrap() > request.requested_at);
    assert_settled(&pool, a.id).await;
    running.stop().await;
}

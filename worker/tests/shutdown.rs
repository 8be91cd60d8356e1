//! SIGTERM (what Kubernetes sends before killing a pod): the worker stops taking jobs, lets the sync in
//! flight finish within its grace period, hands back what did not finish, and exits cleanly.

use std::time::Duration;

use ocean_core::{
    crypto::Keyring,
    db::{accounts, catalog},
    domain::AccountId,
};
use ocean_testkit::{SimServer, wait_for};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::process::Child;

/// A worker with `grace_secs` to drain on SIGTERM.
fn draining_worker(pool: &PgPool, sim: &SimServer, queue: &str, keys: &SecretString, grace_secs: &str) -> Child {
    ocean_testkit::worker_process(env!("CARGO_BIN_EXE_ocean-worker"), pool, sim, queue, keys)
        .env("OCEAN_MARKETPLACE_RATE_PER_SEC", "1000")
        .env("OCEAN_MARKETPLACE_BURST", "1000")
        .env("OCEAN_SHUTDOWN_GRACE_SECS", grace_secs)
        .env("OCEAN_LEASE_TTL_SECS", "30")
        .spawn()
        .expect("start ocean-worker")
}

/// Waits until `worker` is mid-sync on `account`, sends it SIGTERM and waits for a clean exit.
async fn terminate_mid_sync(pool: &PgPool, account: AccountId, worker: &mut Child) {
    wait_for("the sync to start", Duration::from_secs(60), || async {
        let products = catalog::counts(pool, account).await.ok()?.products;
        (products > 0).then_some(())
    })
    .await;
    let pid = worker.id().expect("worker pid").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let status = tokio::time::timeout(Duration::from_secs(90), worker.wait())
        .await
        .expect("the worker exits within its grace period")
        .expect("exit status");
    assert!(status.success(), "clean exit after SIGTERM: {status}");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sigterm_lets_the_running_sync_finish_and_exits_cleanly(pool: PgPool) {
    // A sync of a few seconds, so the signal lands in the middle of it.
    let sim = SimServer::start(ocean_testkit::slow_shop(600, 100, 150)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::fresh_queue().await;
    let account = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Draining", 60).await;
    let mut worker = draining_worker(&pool, &sim, queue.name(), &keys, "60");
    let stop = tokio_util::sync::CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;

    terminate_mid_sync(&pool, account.id, &mut worker).await;
    let finished = accounts::get(&pool, account.id).await.unwrap().unwrap();
    assert_eq!(
        (finished.sync_count, finished.error_count),
        (1, 0),
        "the sync in flight finished"
    );
    assert_eq!(catalog::counts(&pool, account.id).await.unwrap().products, 600);

    stop.cancel();
}

/// A sync still running when the grace period ends is handed back as the worker exits: no lease is left
/// to lapse, and the sync runs again on another worker.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sigterm_hands_back_a_sync_that_outlives_the_grace_period(pool: PgPool) {
    // A sync of many seconds against a one-second grace period.
    let sim = SimServer::start(ocean_testkit::slow_shop(1000, 300, 250)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::fresh_queue().await;
    let account = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Handed back", 60).await;
    let mut worker = draining_worker(&pool, &sim, queue.name(), &keys, "1");
    let stop = tokio_util::sync::CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;

    terminate_mid_sync(&pool, account.id, &mut worker).await;
    // At exit, well before the 30 s lease would lapse: handed back and waiting to run again.
    let (owner, waiting): (Option<String>, bool) =
        sqlx::query_as("SELECT lease_owner, sync_requested_at IS NOT NULL FROM integration_accounts WHERE id = $1")
            .bind(account.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((owner, waiting), (None, true), "the unfinished sync is handed back");

    let mut other = draining_worker(&pool, &sim, queue.name(), &keys, "1");
    let done = wait_for(
        "the sync to complete on another worker",
        Duration::from_secs(120),
        || async {
            let a = accounts::get(&pool, account.id).await.ok()??;
            (a.sync_count == 1).then_some(a)
        },
    )
    .await;
    assert_eq!((done.status.as_str(), done.error_count), ("active", 0));

    stop.cancel();
    let _ = other.kill().await;
}

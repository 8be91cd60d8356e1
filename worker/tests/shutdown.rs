//! SIGTERM (what Kubernetes sends before killing a pod): the worker stops taking jobs, lets the sync in
//! flight finish within its grace period, and exits cleanly.

use std::time::Duration;

use ocean_shared::db::accounts;
use ocean_testkit::{SimServer, wait_for};
use sqlx::PgPool;

#[sqlx::test(migrator = "ocean_shared::MIGRATOR")]
async fn sigterm_lets_the_running_sync_finish_and_exits_cleanly(pool: PgPool) {
    // A sync of a few seconds, so the signal lands in the middle of it.
    let sim = SimServer::start(ocean_testkit::slow_shop(600, 100, 150)).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = ocean_shared::crypto::Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::fresh_queue().await;
    let account = ocean_testkit::create_account(&pool, &keyring, &sim.config.apps[0], "Draining", 60).await;
    let mut worker =
        ocean_testkit::worker_process(env!("CARGO_BIN_EXE_ocean-worker"), &pool, &sim, queue.name(), &keys)
            .env("OCEAN_MARKETPLACE_RATE_PER_SEC", "1000")
            .env("OCEAN_MARKETPLACE_BURST", "1000")
            .env("OCEAN_SHUTDOWN_GRACE_SECS", "60")
            .spawn()
            .expect("start ocean-worker");
    let stop = tokio_util::sync::CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop);

    wait_for("the sync to start", Duration::from_secs(60), || async {
        let products = ocean_shared::db::catalog::counts(&pool, account.id)
            .await
            .ok()?
            .products;
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
    let finished = accounts::get(&pool, account.id).await.unwrap().unwrap();
    assert_eq!(
        (finished.sync_count, finished.error_count),
        (1, 0),
        "the sync in flight finished"
    );
    assert_eq!(
        ocean_shared::db::catalog::counts(&pool, account.id)
            .await
            .unwrap()
            .products,
        600
    );

    stop.cancel();
    ocean_testkit::remove_namespace(&queue).await;
}

//! The scheduler syncs due accounts with no API call, and concurrent schedulers emit a slot once.

use std::time::Duration;

use ocean_core::db::{accounts, leases, logs};
use ocean_scheduler::{TickReport, run_tick};
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::helpers::{TestApp, scheduler_settings, two_shops};

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn an_account_with_a_one_minute_interval_is_synced_by_the_scheduler_alone(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let account = ocean_testkit::create_account(&pool, &app.keyring, &app.sim.config.apps[0], "Scheduled", 1).await;
    app.spawn_scheduler().await;
    app.spawn_worker().await;

    let synced = app.wait_for_outcome(account.id, 1, 0).await;
    let log = logs::for_account(&pool, account.id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].trigger.as_deref(), Some("schedule"));
    // The next slot is one interval (plus the account's jitter of at most a tenth) after this sync started.
    let started = synced.last_sync_started_at.expect("sync start recorded");
    let next = synced.next_sync_at.expect("next due time");
    let gap = (next - started).num_milliseconds();
    assert!((60_000..=66_000).contains(&gap), "next sync {gap} ms after the start");
}

/// Runs `rounds` ticks on each of `instances` schedulers at once, each with its own connections; returns
/// how many jobs they pushed in all.
async fn ticks_from_concurrent_schedulers(app: &TestApp, instances: usize, rounds: usize) -> usize {
    let options = app.pool.connect_options().as_ref().clone();
    let mut tasks = Vec::new();
    for _ in 0..instances {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await
            .unwrap();
        let queue = app.queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut pushed = 0;
            for _ in 0..rounds {
                let TickReport { fed, .. } = run_tick(&pool, &queue, &scheduler_settings()).await.unwrap();
                pushed += fed;
            }
            pushed
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn three_concurrent_schedulers_emit_each_interval_once(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let account = ocean_testkit::create_account(&pool, &app.keyring, &app.sim.config.apps[0], "Contended", 1).await;

    assert_eq!(
        ticks_from_concurrent_schedulers(&app, 3, 20).await,
        1,
        "first slot emitted once"
    );
    assert_eq!(app.queue.depth().await.unwrap(), 1);
    let after = accounts::get(&pool, account.id).await.unwrap().unwrap();
    let advanced = after.next_sync_at.unwrap() - account.next_sync_at.unwrap();
    assert!(
        advanced >= chrono::Duration::seconds(59),
        "next slot one interval later, got {advanced}"
    );

    // While that sync has not run, a second due slot adds nothing: one pending intent covers it.
    sqlx::query("UPDATE integration_accounts SET next_sync_at = now() - interval '1 second' WHERE id = $1")
        .bind(account.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        ticks_from_concurrent_schedulers(&app, 3, 20).await,
        0,
        "no pile-up of unserved slots"
    );

    // A worker runs the sync, then the interval elapses: exactly one more emission.
    let lease = leases::acquire_lease(&pool, account.id, "test-worker", Duration::from_secs(10))
        .await
        .unwrap()
        .expect("lease");
    assert!(leases::record_success(&pool, lease, None).await.unwrap());
    sqlx::query("UPDATE integration_accounts SET next_sync_at = now() - interval '1 second' WHERE id = $1")
        .bind(account.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        ticks_from_concurrent_schedulers(&app, 3, 20).await,
        1,
        "second slot emitted once"
    );
    assert_eq!(app.queue.depth().await.unwrap(), 2);
}

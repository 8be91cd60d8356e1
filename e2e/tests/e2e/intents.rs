//! The intent bookkeeping (`ocean_core::db::intents`): the database refuses states that would strand
//! a request, the scheduler heals what time alone can produce, and a sync-now made while Redis is down
//! is served as soon as Redis is back.

use std::time::Duration;

use ocean_core::{
    db::{accounts, intents, leases},
    domain::{AccountId, SyncTrigger},
};
use ocean_scheduler::run_tick;
use ocean_testkit::redis_server::{Persistence, RedisServer};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, scheduler_settings, two_shops};

async fn seqs(pool: &PgPool, id: AccountId) -> (i64, i64, i64) {
    sqlx::query_as("SELECT sync_request_seq, sync_started_seq, sync_served_seq FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Redis unreachable when the user presses Sync Now, then back with its data (so nothing tells the
/// scheduler that jobs were lost): the request must not wait for the requeue delay.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_sync_now_while_redis_is_down_is_accepted_and_served_when_redis_is_back(pool: PgPool) {
    let mut redis = RedisServer::start(Persistence::Durable).await;
    let queue = ocean_testkit::queue_on(&redis.url()).await;
    let app = TestApp::builder(&pool).sim(two_shops()).queue(queue).start().await;
    let id = app.connect_shop(0, "Jakarta").await;
    app.spawn_worker().await;
    app.spawn_scheduler().await;
    // The scheduler has marked this Redis as known: its restart with data is not a loss it can see.
    ocean_testkit::wait_for("the queue's epoch mark", Duration::from_secs(30), || async {
        let mut conn = app.queue.connection();
        let key = format!("{}:ocean:epoch", app.queue.name());
        let exists: bool = redis::cmd("EXISTS").arg(key).query_async(&mut conn).await.ok()?;
        exists.then_some(())
    })
    .await;

    redis.kill().await;
    let (status, body) = app
        .post(&format!("/api/integrations/tokopedia/accounts/{id}/sync"), json!({}))
        .await;
    assert_eq!(status, 202, "accepted while Redis is down: {body}");
    let (requested, _, _) = seqs(&pool, id).await;
    redis.restart().await;

    let synced = ocean_testkit::wait_for(
        "the sync-now to be served after Redis is back",
        Duration::from_secs(60),
        || async {
            let a = accounts::get(&pool, id).await.ok()??;
            (a.served(requested) && a.sync_count >= 1).then_some(a)
        },
    )
    .await;
    assert_eq!(synced.status, "active");
}

/// Transitions that would leave a request hidden behind an enqueued mark, or a number moving backwards,
/// fail in the database instead of stranding an account.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_database_refuses_bookkeeping_that_would_strand_a_request(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let id = app.connect_shop(0, "Jakarta").await;
    let refused = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let err = sqlx::query(sql).bind(id).execute(&pool).await.expect_err(sql);
            ocean_core::db::violated_constraint(&err).map(str::to_owned)
        }
    };
    // No request waits: a job cannot be out for it.
    assert_eq!(
        refused("UPDATE integration_accounts SET sync_enqueued_at = now() WHERE id = $1")
            .await
            .as_deref(),
        Some("enqueued_only_when_waiting")
    );
    // A request without a due time would never be fed.
    assert_eq!(
        refused("UPDATE integration_accounts SET sync_request_seq = sync_request_seq + 1 WHERE id = $1")
            .await
            .as_deref(),
        Some("unstarted_request_has_time")
    );
    // Served beyond what was started.
    assert_eq!(
        refused("UPDATE integration_accounts SET sync_served_seq = sync_served_seq + 1 WHERE id = $1")
            .await
            .as_deref(),
        Some("request_seqs_ordered")
    );
    // A job out while a worker holds the lease would hide the request from the sync's follow-up.
    intents::request_sync(&pool, id, SyncTrigger::Manual)
        .await
        .unwrap()
        .unwrap();
    leases::acquire_lease(&pool, id, "w", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    intents::request_sync(&pool, id, SyncTrigger::Manual)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        refused("UPDATE integration_accounts SET sync_enqueued_at = now() WHERE id = $1")
            .await
            .as_deref(),
        Some("enqueued_only_when_waiting")
    );
}

/// A worker that died mid-sync: once its lease lapses the scheduler hands the sync back and feeds it in
/// the same tick, as a retry due when the lost sync started (first in its app's turn).
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_lapsed_lease_is_taken_back_and_fed_in_one_tick(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let id = app.connect_shop(0, "Jakarta").await;
    intents::request_sync(&pool, id, SyncTrigger::Manual)
        .await
        .unwrap()
        .unwrap();
    let lease = leases::acquire_lease(&pool, id, "dead-worker", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let settings = scheduler_settings();
    assert_eq!(
        run_tick(&pool, &app.queue, &settings).await.unwrap().fed,
        0,
        "a live lease waits"
    );

    sqlx::query("UPDATE integration_accounts SET lease_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let report = run_tick(&pool, &app.queue, &settings).await.unwrap();
    assert_eq!((report.reaped, report.fed), (1, 1));
    let trigger: Option<String> =
        sqlx::query_scalar("SELECT sync_requested_trigger FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(trigger.as_deref(), Some("retry"));
    assert!(
        !leases::record_success(&pool, lease, None).await.unwrap(),
        "the dead worker's lease is fenced off"
    );
    let (requested, started, served) = seqs(&pool, id).await;
    assert!(
        requested > started && started == served,
        "the request waits again: {requested} {started} {served}"
    );
}

/// What should never happen but time can produce is healed and counted: a lease renewed long past its
/// job's timeout, and a job out that no worker ever started.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn the_scheduler_heals_a_lease_past_its_job_and_a_job_that_never_started(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let stuck = app.connect_shop(0, "Jakarta").await;
    let lost = app.connect_shop(1, "Surabaya").await;
    let settings = ocean_scheduler::SchedulerSettings {
        job_timeout_secs: 60,
        requeue_after_secs: 600,
        ..scheduler_settings()
    };

    intents::request_sync(&pool, stuck, SyncTrigger::Manual)
        .await
        .unwrap()
        .unwrap();
    leases::acquire_lease(&pool, stuck, "w", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    intents::request_sync(&pool, lost, SyncTrigger::Manual)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        run_tick(&pool, &app.queue, &settings).await.unwrap().fed,
        1,
        "the idle one is fed"
    );
    assert_eq!(
        run_tick(&pool, &app.queue, &settings).await.unwrap().repairs,
        intents::Repairs::default(),
        "nothing to heal yet"
    );

    sqlx::query("UPDATE integration_accounts SET last_sync_started_at = now() - interval '1 hour' WHERE id = $1")
        .bind(stuck)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE integration_accounts SET sync_enqueued_at = now() - interval '1 hour' WHERE id = $1")
        .bind(lost)
        .execute(&pool)
        .await
        .unwrap();
    let report = run_tick(&pool, &app.queue, &settings).await.unwrap();
    assert_eq!(
        report.repairs,
        intents::Repairs {
            lease_past_job_timeout: 1,
            job_not_started: 1
        }
    );
    assert_eq!(report.fed, 2, "both fed again in the same tick");
}

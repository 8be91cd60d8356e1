//! Intents wait in Postgres and reach Redis only as the queue has room: any sync-all is accepted at once,
//! the feed is fair across apps, and a Redis that lost its jobs is fed again.

use ocean_core::db::{accounts, intents};
use ocean_scheduler::{SchedulerSettings, run_tick};
use ocean_sim::{AppConfig, ShopConfig, SimConfig};
use serde_json::json;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::helpers::{TestApp, scheduler_settings, two_shops};

/// `count` accounts spread over two apps, inserted in one statement (creating them through the API one by
/// one would only slow the test down).
async fn insert_accounts(pool: &PgPool, count: i64) {
    sqlx::query(
        r#"INSERT INTO integration_accounts (integration_id, account_name, account_identifier, credentials,
                                             enabled, auto_sync, status)
           SELECT 'tokopedia', 'Toko ' || n, 'bulk_' || n,
                  jsonb_build_object('fs_id', 100 + n % 2, 'shop_id', 1000 + n, 'client_id', 'app-' || n % 2),
                  true, false, 'pending'
           FROM generate_series(1, $1) AS n"#,
    )
    .bind(count)
    .execute(pool)
    .await
    .unwrap();
}

fn bounded(high_water: u64) -> SchedulerSettings {
    SchedulerSettings {
        high_water,
        ..scheduler_settings()
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_sync_all_over_ten_thousand_accounts_is_accepted_at_once_and_fed_in_bounded_fair_portions(pool: PgPool) {
    let mut sim = two_shops();
    sim.apps.clear();
    let app = TestApp::builder(&pool).sim(sim).start().await;
    insert_accounts(&pool, 10_000).await;
    let (status, _) = app
        .put(
            "/api/integrations/tokopedia",
            json!({ "sync_all_simultaneously": true }),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["queued"], 10_000);
    assert_eq!(
        app.queue.depth().await.unwrap(),
        0,
        "the api records intents; it pushes nothing"
    );

    let report = run_tick(&pool, &app.queue, &bounded(100)).await.unwrap();
    assert_eq!(report.fed, 100);
    assert_eq!(
        app.queue.depth().await.unwrap(),
        100,
        "the queue holds no more than its high-water mark"
    );
    let per_app: Vec<(String, i64)> = sqlx::query_as(
        r#"SELECT credentials->>'fs_id', count(*) FROM integration_accounts
           WHERE sync_enqueued_at IS NOT NULL GROUP BY 1 ORDER BY 1"#,
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        per_app,
        [("100".to_owned(), 50), ("101".to_owned(), 50)],
        "both apps get their turn"
    );

    assert_eq!(
        run_tick(&pool, &app.queue, &bounded(100)).await.unwrap().fed,
        0,
        "full: the rest waits in Postgres"
    );
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM integration_accounts WHERE sync_requested_at IS NOT NULL AND sync_enqueued_at IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(waiting, 9_900);
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn intents_survive_a_redis_that_lost_its_jobs_and_every_account_then_syncs(pool: PgPool) {
    let shops = (0..12)
        .map(|i| ShopConfig {
            shop_id: 5_000 + i,
            name: format!("Toko {i}"),
            seed: i,
            products: 10,
            orders: 10,
            ..ShopConfig::default()
        })
        .collect();
    let mut sim = SimConfig::demo();
    sim.apps = vec![AppConfig {
        fs_id: 777,
        client_id: "feeding-client".into(),
        client_secret: "feeding-secret-7f3a".into(),
        shops,
    }];
    sim.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    let app = TestApp::builder(&pool).sim(sim).start().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let one = AppConfig {
            shops: vec![app.sim.config.apps[0].shops[i].clone()],
            ..app.sim.config.apps[0].clone()
        };
        let account = ocean_testkit::create_account(&pool, &app.keyring, &one, &format!("Toko {i}"), 60).await;
        sqlx::query("UPDATE integration_accounts SET auto_sync = false WHERE id = $1")
            .bind(account.id)
            .execute(&pool)
            .await
            .unwrap();
        ids.push(account.id);
    }
    let (status, _) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", json!({}))
        .await;
    assert_eq!(status, 202);
    let settings = scheduler_settings();
    assert_eq!(run_tick(&pool, &app.queue, &settings).await.unwrap().fed, 12);
    assert_eq!(app.queue.depth().await.unwrap(), 12);

    // Redis loses everything of this deployment (the test's namespace stands in for FLUSHALL, which would
    // hit other tests sharing the server).
    app.queue.flush();
    assert_eq!(app.queue.depth().await.unwrap(), 0);
    let report = run_tick(&pool, &app.queue, &settings).await.unwrap();
    assert_eq!(
        (report.recovered, report.fed),
        (12, 12),
        "within one tick every intent is fed again"
    );

    app.spawn_worker().await;
    for id in ids {
        let synced = app.wait_for_outcome(id, 1, 0).await;
        assert_eq!(synced.status, "active");
        assert!(
            accounts::get(&pool, id)
                .await
                .unwrap()
                .unwrap()
                .sync_requested_at
                .is_none()
        );
    }
}

/// Replicas racing for the head of the queue: a replica whose snapshot predates another's feed must not
/// feed the same intent again once it gets the row's lock.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn racing_feeders_hand_out_every_intent_exactly_once(pool: PgPool) {
    insert_accounts(&pool, 600).await;
    sqlx::query(
        "UPDATE integration_accounts SET sync_request_seq = sync_request_seq + 1, sync_requested_at = now() - interval '1 minute'",
    )
        .execute(&pool)
        .await
        .unwrap();
    let options = pool.connect_options().as_ref().clone();
    let mut feeders = Vec::new();
    for _ in 0..8 {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .unwrap();
        feeders.push(tokio::spawn(async move {
            let mut fed = Vec::new();
            loop {
                let mut tx = pool.begin().await.unwrap();
                let claimed = intents::claim_feedable(&mut tx, 1).await.unwrap();
                tx.commit().await.unwrap();
                if claimed.is_empty() {
                    return fed;
                }
                fed.extend(claimed.into_iter().map(|intent| intent.id));
            }
        }));
    }
    let mut fed = Vec::new();
    for feeder in feeders {
        fed.extend(feeder.await.unwrap());
    }
    let handed_out = fed.len();
    fed.sort();
    fed.dedup();
    assert_eq!(handed_out - fed.len(), 0, "intents fed twice");
    assert_eq!(fed.len(), 600, "every intent fed");
}

/// A new deployment's Redis has no epoch mark yet. A sync-now pushed before the scheduler's first tick
/// marks it, so that tick does not take the job for one a lost Redis dropped and push it a second time.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_job_pushed_before_the_first_scheduler_tick_is_not_fed_twice(pool: PgPool) {
    let mut sim = two_shops();
    sim.apps.clear();
    let app = TestApp::builder(&pool).sim(sim).start().await;
    insert_accounts(&pool, 1).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM integration_accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (status, body) = app
        .post(&format!("/api/integrations/tokopedia/accounts/{id}/sync"), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        app.queue.depth().await.unwrap(),
        1,
        "the sync-now's fast path pushed its job"
    );

    let report = run_tick(&pool, &app.queue, &scheduler_settings()).await.unwrap();
    assert_eq!(report.recovered, 0, "nothing was lost");
    assert_eq!(app.queue.depth().await.unwrap(), 1, "one job for one request");
}

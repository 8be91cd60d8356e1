//! The sync engine's guarantees: fencing, one follow-up, permanent errors and pauses, checkpoints (on each
//! marketplace), and Tokopedia's throttled stock rows and page budgets.

use std::time::Duration;

use ocean_core::{
    db::{accounts, leases, logs},
    domain::AccountId,
};
use ocean_sim::{AppConfig, ShopConfig};
use ocean_worker::WorkerSettings;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, two_shops};
use crate::marketplaces::{Adapter, both_marketplaces};

async fn sync_outcomes(pool: &PgPool, id: AccountId) -> Vec<String> {
    let mut all = logs::for_account(pool, id, 100).await.unwrap();
    all.reverse();
    all.into_iter()
        .filter(|l| l.kind == "sync")
        .map(|l| l.outcome)
        .collect()
}

both_marketplaces!(a_stale_workers_writes_are_rejected_by_the_fence);
async fn a_stale_workers_writes_are_rejected_by_the_fence(adapter: Adapter, pool: PgPool) {
    let app = TestApp::builder(&pool).sim(adapter.world()).start().await;
    let id = adapter.connect(&app, 1).await[0];
    let ttl = Duration::from_secs(30);
    let stale = leases::acquire_lease(&pool, id, "paused-worker", ttl)
        .await
        .unwrap()
        .expect("first lease");
    assert!(
        leases::acquire_lease(&pool, id, "other", ttl).await.unwrap().is_none(),
        "single flight"
    );

    // The first worker stalls past its lease (a long GC pause, a partition); another takes over.
    sqlx::query("UPDATE integration_accounts SET lease_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let fresh = leases::acquire_lease(&pool, id, "new-worker", ttl)
        .await
        .unwrap()
        .expect("second lease");
    assert!(fresh.token > stale.token, "fencing tokens only grow");

    let mut tx = pool.begin().await.unwrap();
    assert!(
        !leases::hold_fence(&mut tx, stale).await.unwrap(),
        "the stale worker's page write is refused"
    );
    drop(tx);
    assert!(!leases::renew_lease(&pool, stale, ttl).await.unwrap());
    assert!(
        !leases::record_success(&pool, stale, None).await.unwrap(),
        "and so is its outcome"
    );
    assert!(leases::record_failure(&pool, stale, "late", 3).await.unwrap().is_none());
    let account = accounts::get(&pool, id).await.unwrap().unwrap();
    assert_eq!(
        (account.sync_count, account.error_count),
        (0, 0),
        "nothing of the stale worker landed"
    );
    assert!(leases::record_success(&pool, fresh, None).await.unwrap());
}

both_marketplaces!(ten_sync_nows_during_a_running_sync_leave_exactly_one_follow_up);
async fn ten_sync_nows_during_a_running_sync_leave_exactly_one_follow_up(adapter: Adapter, pool: PgPool) {
    let mut sim = adapter.world();
    // Slow enough that the clicks land while the first sync runs.
    adapter.set_latency(&mut sim, 0, 150);
    let app = TestApp::builder(&pool).sim(sim).start().await;
    let id = adapter.connect(&app, 1).await[0];
    let sync = format!("{}/sync", adapter.account(id));
    assert_eq!(app.post(&sync, json!({})).await.0, 202);
    app.spawn_worker().await;
    ocean_testkit::wait_for("the first sync to start", Duration::from_secs(30), || async {
        let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM integration_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .ok()?;
        owner.map(|_| ())
    })
    .await;
    for _ in 0..10 {
        assert_eq!(app.post(&sync, json!({})).await.0, 202);
    }

    app.wait_for_outcome(id, 2, 0).await;
    // Quiet: no lease, no pending intent, nothing queued.
    ocean_testkit::wait_for("the account to settle", Duration::from_secs(30), || async {
        let a = accounts::get(&pool, id).await.ok()??;
        let queued = app.queue.depth().await.ok()?;
        (a.sync_requested_at.is_none() && queued == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let successes = sync_outcomes(&pool, id)
        .await
        .iter()
        .filter(|o| *o == "success")
        .count();
    assert_eq!(
        successes,
        2,
        "the first sync and one follow-up: {:?}",
        sync_outcomes(&pool, id).await
    );
}

both_marketplaces!(a_permanent_error_stops_at_once_and_pauses_the_account_after_three_failures);
async fn a_permanent_error_stops_at_once_and_pauses_the_account_after_three_failures(adapter: Adapter, pool: PgPool) {
    let app = TestApp::builder(&pool).sim(adapter.world()).start().await;
    let id = adapter.connect(&app, 1).await[0];
    let path = adapter.account(id);
    adapter.break_for_good(&app, 0, id).await;

    for failures in 1..=3 {
        assert_eq!(app.post(&format!("{path}/sync"), json!({})).await.0, 202);
        if failures == 1 {
            // After the first request, which joins a TikTok Shop connection's own (see `marketplaces`).
            app.spawn_worker().await;
        }
        let account = app.wait_for_outcome(id, 0, failures).await;
        let last_error = account.last_error.unwrap();
        assert!(last_error.contains(adapter.permanent_error()), "{last_error}");
        assert_eq!(
            adapter.permanent_attempts(&app),
            failures as u64,
            "a permanent error is not retried"
        );
    }
    let paused = accounts::get(&pool, id).await.unwrap().unwrap();
    assert!(paused.paused_at.is_some(), "paused after three failures in a row");
    assert!(
        paused
            .paused_reason
            .as_deref()
            .unwrap()
            .contains("3 failed syncs in a row")
    );
    let (status, body) = app.post(&format!("{path}/sync"), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (reqwest::StatusCode::CONFLICT, json!("account_paused"))
    );
    sqlx::query(
        "UPDATE integration_accounts SET auto_sync = true, next_sync_at = now() - interval '1 minute' WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let tick = ocean_scheduler::run_tick(&pool, &app.queue, &crate::helpers::scheduler_settings())
        .await
        .unwrap();
    assert_eq!(tick.scheduled, 0, "the scheduler leaves a paused account alone");

    // New credentials are a new attempt: the pause lifts and the account syncs again.
    adapter.repair(&app, 0, id).await;
    assert_eq!(app.post(&format!("{path}/sync"), json!({})).await.0, 202);
    let healthy = app.wait_for_outcome(id, 1, 3).await;
    assert_eq!((healthy.status.as_str(), healthy.consecutive_failures), ("active", 0));
    assert!(healthy.paused_at.is_none());
}

both_marketplaces!(a_sync_that_fails_in_an_orders_window_resumes_from_its_checkpoint);
async fn a_sync_that_fails_in_an_orders_window_resumes_from_its_checkpoint(adapter: Adapter, pool: PgPool) {
    let mut sim = adapter.world();
    adapter.set_order_days(&mut sim, 0, 25);
    let app = TestApp::builder(&pool).sim(sim).start().await;
    let id = adapter.connect(&app, 1).await[0];
    // The marketplace breaks after four order-list pages: the fifth 3-day window fails.
    adapter.fail_orders_after(&app, 0, 4);
    let sync = format!("{}/sync", adapter.account(id));
    assert_eq!(app.post(&sync, json!({})).await.0, 202);
    app.spawn_worker().await;
    let failed = app.wait_for_outcome(id, 0, 1).await;
    let last_error = failed.last_error.unwrap();
    assert!(last_error.contains(adapter.internal_error()), "{last_error}");
    let cursor = leases::orders_cursor(&pool, id)
        .await
        .unwrap()
        .expect("a checkpoint after the good windows");
    let saved: i64 = sqlx::query_scalar("SELECT count(*) FROM marketplace_orders WHERE account_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(saved > 0, "the good windows' orders were kept");

    adapter.end_outages(&app);
    let before = adapter.order_list_calls(&app);
    assert_eq!(app.post(&sync, json!({})).await.0, 202);
    app.wait_for_outcome(id, 1, 1).await;
    let resumed_calls = adapter.order_list_calls(&app) - before;
    // 30 days from scratch need 11 windows; from the checkpoint only the rest (plus the small overlap).
    let windows_left = ((chrono::Utc::now() - cursor).num_seconds() / (3 * 86_400 - 60) + 1) as u64;
    assert!(
        resumed_calls <= windows_left + 1,
        "resumed from the checkpoint: {resumed_calls} order-list calls"
    );
    assert!(resumed_calls < 11);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM marketplace_orders WHERE account_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, adapter.expected(&app, 0).1, "no order lost between the two runs");
}

// Tokopedia only: its stock update answers per row and refuses rows past the budget with
// ERR_TOO_MANY_REQUEST inside a successful answer. TikTok Shop has no per-row budget: a refused write is a
// whole call's 429, which its client waits out.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn stock_push_retries_only_the_rows_the_marketplace_throttled(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    let shop = app.sim.config.apps[0].clone();
    let shop_id = shop.shops[0].shop_id;
    // Each row counts against a small bucket, so a 31-row push is partly refused with ERR_TOO_MANY_REQUEST.
    assert!(app.sim.sim.set_rate_limit(
        Some("stock-update"),
        ocean_sim::RateLimit {
            rate_per_sec: 10.0,
            burst: 8
        }
    ));
    app.spawn_worker().await;
    let body = json!({
        "account_name": "Jakarta", "auto_sync": false,
        "credentials": { "fs_id": shop.fs_id, "shop_id": shop_id, "client_id": shop.client_id, "client_secret": shop.client_secret },
        "features": ["product_management", "inventory_sync"],
    });
    let (status, created) = app.post("/api/integrations/tokopedia/accounts", body).await;
    assert_eq!(status, 201, "{created}");
    let id = AccountId(created["data"]["id"].as_i64().unwrap());
    let sync = format!("/api/integrations/tokopedia/accounts/{id}/sync");
    app.post(&sync, json!({})).await;
    app.wait_for_outcome(id, 1, 0).await;

    // The ERP wants 30 known SKUs at new levels, and one SKU the shop does not sell.
    sqlx::query(
        r#"INSERT INTO erp_stock_levels (account_id, sku, quantity)
           SELECT account_id, sku, stock + 7 FROM marketplace_products WHERE account_id = $1 ORDER BY sku LIMIT 30"#,
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO erp_stock_levels (account_id, sku, quantity) VALUES ($1, 'NOT-SOLD-HERE', 3)")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    app.post(&sync, json!({})).await;
    app.wait_for_outcome(id, 2, 0).await;

    let wanted: Vec<(String, i64, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT sku, quantity, pushed_quantity, push_error FROM erp_stock_levels WHERE account_id = $1")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    for (sku, quantity, pushed, error) in &wanted {
        if sku == "NOT-SOLD-HERE" {
            assert_eq!((pushed, error.as_deref()), (&None, Some("Invalid SKU.")));
            continue;
        }
        assert_eq!(pushed, &Some(*quantity), "{sku} pushed");
        let product = app.sim.sim.product_by_sku(shop_id, sku).expect("known sku");
        assert_eq!(i64::from(product.stock), *quantity, "{sku} at the marketplace");
    }
    let stats = app.sim.sim.stats();
    let received = stats.bulk_rows.get("stock-update").copied().unwrap_or(0);
    let throttled = stats.throttled_rows.get("stock-update").copied().unwrap_or(0);
    assert!(throttled > 0, "the test must hit the bucket");
    assert_eq!(
        received,
        31 + throttled,
        "every resent row had been throttled; no accepted row was sent twice"
    );

    // Nothing changed since: only the refused row is offered again.
    app.post(&sync, json!({})).await;
    app.wait_for_outcome(id, 3, 0).await;
    let again = app.sim.sim.stats().bulk_rows.get("stock-update").copied().unwrap_or(0);
    assert_eq!(again, received + 1);
}

// Tokopedia only: six shops of one app, created directly in Postgres, on one worker slot; what it checks
// (page budgets and continuations) lies above the adapter boundary.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_shop_with_a_hundred_times_the_data_does_not_hold_back_the_small_ones(pool: PgPool) {
    let shops = std::iter::once(ShopConfig {
        shop_id: 9_000,
        name: "Huge".into(),
        seed: 1,
        products: 5_000,
        orders: 10,
        ..ShopConfig::default()
    })
    .chain((1..=5).map(|i| ShopConfig {
        shop_id: 9_000 + i,
        name: format!("Small {i}"),
        seed: i,
        products: 50,
        orders: 10,
        ..ShopConfig::default()
    }))
    .collect();
    let mut sim = two_shops();
    sim.apps = vec![AppConfig {
        fs_id: 99,
        client_id: "big-app".into(),
        client_secret: "big-secret".into(),
        shops,
    }];
    let app = TestApp::builder(&pool).sim(sim).start().await;
    let world = app.sim.config.apps[0].clone();
    let mut ids = Vec::new();
    for shop in &world.shops {
        let one = AppConfig {
            shops: vec![shop.clone()],
            ..world.clone()
        };
        let account = ocean_testkit::create_account(&pool, &app.keyring, &one, &shop.name, 60).await;
        ids.push(account.id);
    }
    sqlx::query("UPDATE integration_accounts SET auto_sync = false")
        .execute(&pool)
        .await
        .unwrap();
    // One worker slot makes any monopoly visible; 20 pages per job splits the huge shop's 100 pages.
    app.spawn_worker_with(WorkerSettings {
        concurrency: 1,
        page_budget: 20,
        ..ocean_testkit::worker_settings()
    })
    .await;
    for id in &ids {
        let (status, _) = app
            .post(&format!("/api/integrations/tokopedia/accounts/{id}/sync"), json!({}))
            .await;
        assert_eq!(status, 202);
    }

    let huge = app.wait_for_outcome(ids[0], 1, 0).await;
    let huge_done = huge.last_sync_finished_at.expect("huge shop finished");
    for id in &ids[1..] {
        let small = accounts::get(&pool, *id).await.unwrap().unwrap();
        let small_done = small
            .last_sync_finished_at
            .expect("small shop finished before the huge one");
        assert!(
            small_done < huge_done,
            "small account {id} waited for the whole huge sync"
        );
    }
    let partials = sync_outcomes(&pool, ids[0])
        .await
        .iter()
        .filter(|o| *o == "partial")
        .count();
    assert!(partials >= 4, "the huge sync ran as several jobs: {partials} partial");
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM marketplace_products WHERE account_id = $1")
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        products, 5_000,
        "continuations picked up exactly where the previous job stopped"
    );
}

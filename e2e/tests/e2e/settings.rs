//! Platform settings change what the sync does.

use std::time::Duration;

use ocean_core::domain::AccountId;
use ocean_sim::SimConfig;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, scheduler_settings, two_shops};

/// Two shops whose catalogs are the same items (same seed, so the same SKUs).
fn twin_shops() -> SimConfig {
    let mut config = two_shops();
    for app in &mut config.apps {
        app.shops[0].seed = 7;
        app.shops[0].products = 60;
    }
    config
}

/// Product mappings of an account: (sku, mapped local product id, own product row id).
async fn product_mappings(pool: &PgPool, account: AccountId) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        r#"SELECT p.sku, m.local_id, p.id FROM integration_mappings m
           JOIN marketplace_products p ON p.account_id = m.account_id AND p.external_id::text = m.external_id
           WHERE m.account_id = $1 AND m.entity_type = 'product' ORDER BY p.sku"#,
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn sync_in_turn(app: &TestApp, first: AccountId, second: AccountId) {
    for id in [first, second] {
        let (status, _) = app
            .post(&format!("/api/integrations/tokopedia/accounts/{id}/sync"), json!({}))
            .await;
        assert_eq!(status, 202);
        app.wait_for_outcome(id, 1, 0).await;
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_shared_catalog_maps_the_same_sku_in_two_shops_to_one_product(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(twin_shops()).start().await;
    app.spawn_worker().await;
    let (status, _) = app
        .put("/api/integrations/tokopedia", json!({ "share_product_catalog": true }))
        .await;
    assert_eq!(status, 200);
    let jakarta = app.connect_shop(0, "Jakarta").await;
    let surabaya = app.connect_shop(1, "Surabaya").await;
    sync_in_turn(&app, jakarta, surabaya).await;

    let first = product_mappings(&pool, jakarta).await;
    let second = product_mappings(&pool, surabaya).await;
    assert_eq!(first.len(), 60);
    assert!(
        first.iter().all(|(_, local, own)| local == own),
        "the first shop's products are the catalog"
    );
    for ((sku_a, local_a, _), (sku_b, local_b, own_b)) in first.iter().zip(&second) {
        assert_eq!(sku_a, sku_b);
        assert_eq!(local_b, local_a, "{sku_b} maps to the first shop's product");
        assert_ne!(local_b, own_b);
    }
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn without_a_shared_catalog_each_shop_keeps_its_own_products(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(twin_shops()).start().await;
    app.spawn_worker().await;
    let jakarta = app.connect_shop(0, "Jakarta").await;
    let surabaya = app.connect_shop(1, "Surabaya").await;
    sync_in_turn(&app, jakarta, surabaya).await;
    let second = product_mappings(&pool, surabaya).await;
    assert_eq!(second.len(), 60);
    assert!(second.iter().all(|(_, local, own)| local == own));
}

/// When each account's intent comes due, relative to the first.
async fn due_offsets_ms(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar(
        r#"SELECT (extract(epoch FROM sync_requested_at - min(sync_requested_at) OVER ()) * 1000)::bigint
           FROM integration_accounts ORDER BY id"#,
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn sync_all_spreads_jobs_unless_accounts_sync_simultaneously(pool: PgPool) {
    let app = TestApp::builder(&pool)
        .sim(two_shops())
        .sync_all_spread(Duration::from_secs(60))
        .start()
        .await;
    app.connect_shop(0, "Jakarta").await;
    app.connect_shop(1, "Surabaya").await;
    let (status, body) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", json!({}))
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["data"]["spread_over_secs"], 1, "two accounts, one second apart");
    assert_eq!(due_offsets_ms(&pool).await, [0, 1000]);

    // A sync-now does not wait for its place in the spread.
    let (status, _) = app.post("/api/integrations/tokopedia/accounts/2/sync", json!({})).await;
    assert_eq!(status, 202);
    let later: bool = sqlx::query_scalar("SELECT sync_requested_at > now() FROM integration_accounts WHERE id = 2")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!later, "sync-now is due now");

    let (status, _) = app
        .put(
            "/api/integrations/tokopedia",
            json!({ "sync_all_simultaneously": true }),
        )
        .await;
    assert_eq!(status, 200);
    sqlx::query(
        "UPDATE integration_accounts SET sync_request_seq = sync_started_seq, sync_requested_at = NULL, sync_enqueued_at = NULL",
    )
        .execute(&pool)
        .await
        .unwrap();
    let (_, body) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", json!({}))
        .await;
    assert_eq!(body["data"]["spread_over_secs"], 0);
    assert_eq!(due_offsets_ms(&pool).await, [0, 0], "both accounts are due at once");
    let settings = scheduler_settings();
    assert_eq!(
        ocean_scheduler::run_tick(&app.pool, &app.queue, &settings)
            .await
            .unwrap()
            .fed,
        2
    );
}

//! Accounts created over the API sync end to end; one failing shop does not stop another.

use ocean_core::{
    db::{accounts, catalog, logs},
    domain::AccountId,
};
use sqlx::PgPool;

use crate::helpers::{TestApp, two_shops};

/// What the simulator holds for the account's shop.
fn expected(app: &TestApp, index: usize) -> (i64, i64) {
    let shop_id = app.sim.config.apps[index].shops[0].shop_id;
    (
        app.sim.sim.products(shop_id).len() as i64,
        app.sim.sim.orders(shop_id).len() as i64,
    )
}

async fn sync_logs(pool: &PgPool, id: AccountId) -> Vec<logs::LogEntry> {
    let all = logs::for_account(pool, id, 100).await.expect("logs");
    all.into_iter().filter(|l| l.kind == "sync").collect()
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn two_accounts_sync_fully_and_a_second_sync_changes_no_row_counts(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    app.spawn_scheduler().await;
    app.spawn_worker().await;
    app.spawn_worker().await;
    let jakarta = app.connect_shop(0, "Main Store - Jakarta").await;
    let surabaya = app.connect_shop(1, "Surabaya Branch").await;

    let (status, body) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", serde_json::json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["queued"], 2);

    for (index, id) in [(0, jakarta), (1, surabaya)] {
        let account = app.wait_for_outcome(id, 1, 0).await;
        assert_eq!(account.status, "active");
        assert_eq!((account.sync_count, account.error_count), (1, 0));
        assert!(account.last_sync_at.is_some() && account.last_error.is_none());
        assert!(
            account.metadata.0["shop_info"]["shop_name"].is_string(),
            "shop info stored in metadata"
        );
        let couriers = account.metadata.0["logistics"]["couriers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            !couriers.is_empty() && couriers[0]["shipper_name"].is_string(),
            "logistics stream stored"
        );

        let (products, orders) = expected(&app, index);
        assert!(products > 0 && orders > 0);
        let counts = catalog::counts(&pool, id).await.unwrap();
        assert_eq!((counts.products, counts.orders), (products, orders));
        assert_eq!(
            counts.mappings,
            products + orders + 1,
            "one mapping per product, order and the shop"
        );

        let log = sync_logs(&pool, id).await;
        assert_eq!(log.len(), 1, "one log row per attempt");
        assert_eq!(
            (log[0].outcome.as_str(), log[0].trigger.as_deref()),
            ("success", Some("sync_all"))
        );
        assert_eq!(
            (i64::from(log[0].products_synced), i64::from(log[0].orders_synced)),
            (products, orders)
        );
        assert!(log[0].duration_ms.is_some());
    }

    // Typed columns carry what reports need.
    let (name, price, stock): (String, i64, i64) =
        sqlx::query_as("SELECT name, price, stock FROM marketplace_products WHERE account_id = $1 LIMIT 1")
            .bind(jakarta)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!name.is_empty() && price > 0 && stock >= 0);

    let (status, list) = app.get("/api/integrations/tokopedia/accounts").await;
    assert_eq!(status, 200);
    let total = expected(&app, 0).0 + expected(&app, 1).0;
    assert_eq!(list["data"]["summary"]["total_products"], total);
    assert_eq!(list["data"]["summary"]["active_accounts"], 2);
    // The summary's one aggregate equals the sum of the accounts' own figures.
    let summary = &list["data"]["summary"];
    for (total, each) in [
        ("total_products", "total_products"),
        ("active_products", "active_products"),
        ("total_orders_today", "orders_today"),
        ("pending_orders", "pending_orders"),
        ("revenue_today", "revenue_today"),
    ] {
        let mut sum = 0;
        for id in [jakarta, surabaya] {
            let (status, stats) = app
                .get(&format!("/api/integrations/tokopedia/accounts/{id}/stats"))
                .await;
            assert_eq!(status, 200, "{stats}");
            sum += stats["data"][each].as_i64().unwrap();
        }
        assert_eq!(summary[total].as_i64(), Some(sum), "{total} in {summary}");
    }
    assert!(
        summary["pending_orders"].as_i64() > Some(0),
        "the check compares something: {summary}"
    );

    // Sync again: upserts, not inserts.
    let before = catalog::counts(&pool, jakarta).await.unwrap();
    let (status, _) = app
        .post(
            &format!("/api/integrations/tokopedia/accounts/{jakarta}/sync"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let account = app.wait_for_outcome(jakarta, 2, 0).await;
    assert_eq!(account.sync_count, 2);
    assert_eq!(catalog::counts(&pool, jakarta).await.unwrap(), before);
    let log = sync_logs(&pool, jakarta).await;
    assert_eq!(log[0].trigger.as_deref(), Some("manual"), "newest first");
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_failing_shop_records_one_error_while_the_other_syncs_fully(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    app.spawn_scheduler().await;
    app.spawn_worker().await;
    let healthy = app.connect_shop(0, "Main Store - Jakarta").await;
    let failing = app.connect_shop(1, "Surabaya Branch").await;
    let failing_shop = app.sim.config.apps[1].shops[0].shop_id;
    assert!(app.sim.sim.set_failure_rate(failing_shop, 1.0));

    let (status, _) = app
        .post("/api/integrations/tokopedia/accounts/sync-all", serde_json::json!({}))
        .await;
    assert_eq!(status, 202);

    let broken = app.wait_for_outcome(failing, 0, 1).await;
    assert_eq!(broken.error_count, 1);
    assert_eq!(broken.status, "error");
    let last_error = broken.last_error.expect("last_error set");
    assert!(
        last_error.contains("ORD_API_006"),
        "last_error names the marketplace error: {last_error}"
    );
    let log = sync_logs(&pool, failing).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "failure");
    assert_eq!(log[0].message.as_deref(), Some(last_error.as_str()));

    let fine = app.wait_for_outcome(healthy, 1, 0).await;
    assert_eq!((fine.status.as_str(), fine.error_count), ("active", 0));
    let (products, orders) = expected(&app, 0);
    let counts = catalog::counts(&pool, healthy).await.unwrap();
    assert_eq!((counts.products, counts.orders), (products, orders));
    assert_eq!(catalog::counts(&pool, failing).await.unwrap().products, 0);

    // The failure is recorded once: no hidden retries inflated the counter.
    let again = accounts::get(&pool, failing).await.unwrap().unwrap();
    assert_eq!(again.error_count, 1);
}

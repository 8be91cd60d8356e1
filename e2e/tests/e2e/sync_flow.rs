//! Accounts connected over the API sync end to end, on each marketplace: fully at first, then only what
//! changed since the last sync; one failing shop does not stop another.

use std::time::Duration;

use chrono::Utc;
use ocean_core::{
    db::{accounts, catalog, leases, logs},
    domain::AccountId,
};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, start_scheduler};
use crate::marketplaces::{Adapter, both_marketplaces};

async fn sync_logs(pool: &PgPool, id: AccountId) -> Vec<logs::LogEntry> {
    let all = logs::for_account(pool, id, 100).await.expect("logs");
    all.into_iter().filter(|l| l.kind == "sync").collect()
}

both_marketplaces!(two_accounts_sync_fully_and_a_second_sync_changes_no_row_counts);
async fn two_accounts_sync_fully_and_a_second_sync_changes_no_row_counts(adapter: Adapter, pool: PgPool) {
    let app = TestApp::builder(&pool).sim(adapter.world()).start().await;
    start_scheduler(&app).await;
    let ids = adapter.connect(&app, 2).await;
    let (status, body) = app.post(&format!("{}/sync-all", adapter.accounts()), json!({})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["queued"], 2);
    app.spawn_worker().await;
    app.spawn_worker().await;

    for (index, &id) in ids.iter().enumerate() {
        let account = app.wait_for_outcome(id, 1, 0).await;
        assert_eq!(account.status, "active");
        assert_eq!((account.sync_count, account.error_count), (1, 0));
        assert!(account.last_sync_at.is_some() && account.last_error.is_none());
        assert!(
            account.metadata.0["shop_info"]["shop_name"].is_string(),
            "shop info stored in metadata"
        );
        adapter.assert_logistics(&account.metadata.0);

        let (products, orders) = adapter.expected(&app, index);
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
            ("success", Some(adapter.first_trigger("sync_all")))
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
            .bind(ids[0])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!name.is_empty() && price > 0 && stock >= 0);

    let (status, list) = app.get(&adapter.accounts()).await;
    assert_eq!(status, 200);
    let total = adapter.expected(&app, 0).0 + adapter.expected(&app, 1).0;
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
        for &id in &ids {
            let (status, stats) = app.get(&format!("{}/stats", adapter.account(id))).await;
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
    let first = ids[0];
    let before = catalog::counts(&pool, first).await.unwrap();
    let (status, _) = app.post(&format!("{}/sync", adapter.account(first)), json!({})).await;
    assert_eq!(status, 202);
    let account = app.wait_for_outcome(first, 2, 0).await;
    assert_eq!(account.sync_count, 2);
    assert_eq!(catalog::counts(&pool, first).await.unwrap(), before);
    let log = sync_logs(&pool, first).await;
    assert_eq!(log[0].trigger.as_deref(), Some("manual"), "newest first");
}

both_marketplaces!(a_failing_shop_records_one_error_while_the_other_syncs_fully);
async fn a_failing_shop_records_one_error_while_the_other_syncs_fully(adapter: Adapter, pool: PgPool) {
    let app = TestApp::builder(&pool).sim(adapter.world()).start().await;
    start_scheduler(&app).await;
    let ids = adapter.connect(&app, 2).await;
    let (healthy, failing) = (ids[0], ids[1]);
    adapter.fail_every_call(&app, 1);

    let (status, _) = app.post(&format!("{}/sync-all", adapter.accounts()), json!({})).await;
    assert_eq!(status, 202);
    app.spawn_worker().await;

    let broken = app.wait_for_outcome(failing, 0, 1).await;
    assert_eq!(broken.error_count, 1);
    assert_eq!(broken.status, "error");
    let last_error = broken.last_error.expect("last_error set");
    assert!(
        last_error.contains(adapter.internal_error()),
        "last_error names the marketplace error: {last_error}"
    );
    let log = sync_logs(&pool, failing).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "failure");
    assert_eq!(log[0].message.as_deref(), Some(last_error.as_str()));

    let fine = app.wait_for_outcome(healthy, 1, 0).await;
    assert_eq!((fine.status.as_str(), fine.error_count), ("active", 0));
    let (products, orders) = adapter.expected(&app, 0);
    let counts = catalog::counts(&pool, healthy).await.unwrap();
    assert_eq!((counts.products, counts.orders), (products, orders));
    assert_eq!(catalog::counts(&pool, failing).await.unwrap().products, 0);

    // The failure is recorded once: no hidden retries inflated the counter.
    let again = accounts::get(&pool, failing).await.unwrap().unwrap();
    assert_eq!(again.error_count, 1);
}

both_marketplaces!(a_later_sync_reads_only_what_changed_since_its_cursor);
async fn a_later_sync_reads_only_what_changed_since_its_cursor(adapter: Adapter, pool: PgPool) {
    let (app, id, sync) = adapter.synced_shop(&pool).await;
    let first_cursor = leases::orders_cursor(&pool, id).await.unwrap().expect("a cursor");
    let order_windows = |log: &logs::LogEntry| log.details["order_windows"].as_i64().expect("windows");
    let full_windows = order_windows(&sync_logs(&pool, id).await[0]);
    let full_calls = adapter.order_list_calls(&app);
    assert!(
        full_windows >= 10,
        "the first sync reads the whole lookback: {full_windows} windows"
    );
    // Cursors are whole seconds: the next sync starts in a later one, so its cursor can only be later.
    ocean_testkit::wait_for("the first sync's second to pass", Duration::from_secs(5), || async {
        (Utc::now().timestamp() > first_cursor.timestamp()).then_some(())
    })
    .await;

    let news = adapter.orders_arrive(&app, id).await;
    assert!(news.added > 0 && !news.changed.is_empty(), "{news:?}");
    let before = catalog::counts(&pool, id).await.unwrap();
    assert_eq!(app.post(&sync, json!({})).await.0, 202);
    app.wait_for_outcome(id, 2, 0).await;

    let after = catalog::counts(&pool, id).await.unwrap();
    let (products, orders) = adapter.expected(&app, 0);
    assert_eq!(after.orders, before.orders + news.added, "the new orders were added");
    assert_eq!((after.products, after.orders), (products, orders));
    for (order, status) in &news.changed {
        let stored: String = sqlx::query_scalar(
            "SELECT marketplace_status FROM marketplace_orders WHERE account_id = $1 AND external_id = $2",
        )
        .bind(id)
        .bind(order)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(&stored, status, "order {order} moved on");
    }
    let cursor = leases::orders_cursor(&pool, id).await.unwrap().expect("a cursor");
    assert!(cursor > first_cursor, "the cursor advanced: {first_cursor} → {cursor}");
    let windows = order_windows(&sync_logs(&pool, id).await[0]);
    let calls = adapter.order_list_calls(&app) - full_calls;
    assert!(
        windows <= adapter.incremental_windows() && calls < full_calls,
        "read from the cursor, not the whole lookback: {windows} windows, {calls} calls"
    );
}

//! An order that moves on at the marketplace (awaiting shipment → shipped → completed) is seen changed
//! in Postgres by the next sync, on each marketplace, and the "pending orders" figure follows it.

use ocean_core::{db::reports, domain::AccountId};
use serde_json::json;
use sqlx::PgPool;

use crate::marketplaces::{Adapter, both_marketplaces};

async fn stored(pool: &PgPool, id: AccountId, order: &str) -> (String, String) {
    sqlx::query_as(
        "SELECT status, marketplace_status FROM marketplace_orders WHERE account_id = $1 AND external_id = $2",
    )
    .bind(id)
    .bind(order)
    .fetch_one(pool)
    .await
    .expect("the order is stored")
}

async fn pending(pool: &PgPool, adapter: Adapter, id: AccountId) -> i64 {
    let integration = adapter.accounts();
    let integration = integration.split('/').nth(3).expect("/api/integrations/{id}/accounts");
    let stats = reports::account_stats(pool, integration, Some(&[id]))
        .await
        .expect("stats");
    stats[0].pending_orders
}

both_marketplaces!(an_order_moving_on_is_seen_by_the_next_sync_and_pending_orders_follow);
async fn an_order_moving_on_is_seen_by_the_next_sync_and_pending_orders_follow(adapter: Adapter, pool: PgPool) {
    let (app, id, sync) = adapter.synced_shop(&pool).await;

    // A recent order still to ship: the window a later sync reads again covers it on either marketplace.
    let order: String = sqlx::query_scalar(
        r#"SELECT external_id FROM marketplace_orders
           WHERE account_id = $1 AND status = 'awaiting_shipment' AND order_created_at > now() - interval '6 days'
           ORDER BY order_created_at DESC LIMIT 1"#,
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .expect("an order awaiting shipment");
    let before = pending(&pool, adapter, id).await;

    let mut syncs = 1;
    let mut seen = Vec::new();
    while let Some(status) = adapter.move_order_on(&app, &order) {
        assert_eq!(app.post(&sync, json!({})).await.0, 202);
        syncs += 1;
        app.wait_for_outcome(id, syncs, 0).await;
        let (neutral, own) = stored(&pool, id, &order).await;
        assert_eq!(own, status, "the marketplace's status is stored after one sync");
        seen.push(neutral);
    }
    // TikTok Shop passes through awaiting collection, in transit and delivered on the way.
    assert!(seen.iter().any(|s| s == "shipped"), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("completed"), "{seen:?}");
    assert_eq!(
        pending(&pool, adapter, id).await,
        before - 1,
        "pending orders follow the order"
    );
}

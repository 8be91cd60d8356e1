//! The listing phase's data: the simulator's raw JSON, and the fleet written with set-based inserts.

use anyhow::Context;
use ocean_core::marketplace::{AppCredentials, TokopediaClient, order_windows};
use ocean_sim::AppConfig;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::PgPool;

use super::{LOG_DAYS_MINUTES, SYNC_INTERVAL_MINUTES};

/// Products' and orders' `raw` JSON as a sync stores it, read from the simulator with the production client.
pub(super) async fn raw_samples(
    market: &ocean_core::config::MarketplaceSettings,
    app: &AppConfig,
) -> anyhow::Result<(Vec<Value>, Vec<Value>)> {
    let client = TokopediaClient::new(market)?;
    let creds = AppCredentials {
        fs_id: app.fs_id,
        client_id: app.client_id.clone(),
        client_secret: SecretString::from(app.client_secret.clone()),
    };
    let shop_id = app.shops[0].shop_id;
    let products: Vec<Value> = client
        .all_products(&creds, shop_id)
        .await
        .context("Failed to read products from the simulator")?
        .into_iter()
        .map(|p| p.raw)
        .collect();
    let now = chrono::Utc::now().timestamp();
    let mut orders = Vec::new();
    for window in order_windows(now - 32 * 86_400, now + 60) {
        orders.extend(
            client
                .window_orders(&creds, shop_id, window)
                .await?
                .into_iter()
                .map(|o| o.raw),
        );
    }
    anyhow::ensure!(
        !products.is_empty() && !orders.is_empty(),
        "the simulator returned no rows"
    );
    Ok((products, orders))
}

/// The fleet: accounts (mostly active and recently synced, a few in error), products with a mix of statuses,
/// orders over the last 30 days (recent ones still pending, older ones finished, some cancelled), and a
/// day of sync logs. Seeded, so two runs write the same mix.
pub(super) async fn fill(
    pool: &PgPool,
    accounts: usize,
    per_products: usize,
    per_orders: usize,
    product_raws: &[Value],
    order_raws: &[Value],
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("Failed to begin the fill")?;
    sqlx::query("SELECT setseed(0.42)")
        .execute(&mut *tx)
        .await
        .context("Failed to seed")?;
    sqlx::query(
        r#"INSERT INTO integration_accounts (integration_id, account_name, account_identifier, credentials,
                                             enabled, auto_sync, status, sync_interval_minutes, last_sync_at,
                                             last_sync_started_at, last_sync_finished_at, sync_count, error_count,
                                             consecutive_failures, last_error, next_sync_at)
           SELECT 'tokopedia', 'Toko ' || n, 'shop_' || (500000 + n),
                  jsonb_build_object('fs_id', 4242, 'shop_id', 500000 + n, 'client_id', 'bench-client'),
                  true, true, CASE WHEN failing THEN 'error' ELSE 'active' END, $2::int,
                  synced, synced - interval '20 seconds', synced, 96 * 30, failing::int, failing::int,
                  CASE WHEN failing THEN 'Marketplace answered 500 (ORD_API_006)' END,
                  synced + make_interval(mins => $2::int)
           FROM (SELECT n, n % 40 = 0 AS failing, now() - make_interval(secs => (n * 37) % ($2::int * 60)) AS synced
                 FROM generate_series(1, $1::int) AS n) f"#,
    )
    .bind(accounts as i32)
    .bind(SYNC_INTERVAL_MINUTES as i32)
    .execute(&mut *tx)
    .await
    .context("Failed to insert the accounts")?;
    sqlx::query(
        r#"INSERT INTO marketplace_products (account_id, external_id, name, sku, price, stock, status,
                                             marketplace_status, raw)
           SELECT id, (id * 100000 + k)::text, 'Produk ' || id || '-' || k, 'SKU-' || id || '-' || k,
                  1000 * (10 + floor(r1 * 990)::bigint), floor(r2 * 500)::bigint,
                  (ARRAY['active', 'active', 'active', 'active', 'active', 'active', 'active', 'active',
                         'inactive', 'deleted', 'pending'])[s],
                  (ARRAY['1', '1', '1', '1', '1', '1', '1', '2', '3', '0', '-1'])[s],
                  $2::jsonb -> (k % jsonb_array_length($2::jsonb))
           FROM (SELECT a.id, k, random() AS r1, random() AS r2, 1 + floor(random() * 11)::int AS s
                 FROM integration_accounts a CROSS JOIN generate_series(1, $1::int) AS k) p"#,
    )
    .bind(per_products as i32)
    .bind(Value::Array(product_raws.to_vec()))
    .execute(&mut *tx)
    .await
    .context("Failed to insert the products")?;
    // Paid orders move to 700 (finished) within days; the last two days still hold pending (220, 221, 400,
    // 450) and shipping (500, 600) ones; about 5 % are cancelled (status below 100). Each Tokopedia code is
    // stored with its neutral status (OrderStatus::from_tokopedia).
    sqlx::query(
        r#"INSERT INTO marketplace_orders (account_id, external_id, invoice, status, marketplace_status,
                                           total_amount, order_created_at, raw)
           SELECT id, (id * 1000000 + k)::text, 'INV/' || id || '/' || k,
                  CASE WHEN code < 100 THEN 'cancelled'
                       WHEN code IN (220, 221, 400) THEN 'awaiting_shipment'
                       WHEN code = 450 THEN 'awaiting_collection'
                       WHEN code = 500 THEN 'shipped'
                       WHEN code = 600 THEN 'delivered'
                       ELSE 'completed' END,
                  code::text, total, created, raw
           FROM (SELECT id, k,
                        CASE WHEN c < 0.05 THEN (ARRAY[0, 3, 5, 6, 10, 15])[1 + floor(s * 6)::int]
                             WHEN age < 2 THEN (ARRAY[220, 221, 400, 450, 500, 600])[1 + floor(s * 6)::int]
                             WHEN age < 4 THEN (ARRAY[500, 600, 700])[1 + floor(s * 3)::int]
                             ELSE 700 END AS code,
                        1000 * (15 + floor(t * 1500)::bigint) AS total,
                        now() - age * interval '1 day' AS created,
                        $2::jsonb -> (k % jsonb_array_length($2::jsonb)) AS raw
                 FROM (SELECT a.id, k, random() * 30 AS age, random() AS c, random() AS s, random() AS t
                       FROM integration_accounts a CROSS JOIN generate_series(1, $1::int) AS k) r) o"#,
    )
    .bind(per_orders as i32)
    .bind(Value::Array(order_raws.to_vec()))
    .execute(&mut *tx)
    .await
    .context("Failed to insert the orders")?;
    // One sync per account and interval over the last day; about 2 % failed.
    sqlx::query(
        r#"INSERT INTO integration_logs (integration_id, account_id, kind, trigger, outcome, message,
                                         products_synced, orders_synced, duration_ms, created_at)
           SELECT 'tokopedia', id, 'sync', 'schedule', CASE WHEN f < 0.02 THEN 'failure' ELSE 'success' END,
                  CASE WHEN f < 0.02 THEN 'Marketplace answered 500 (ORD_API_006)' END,
                  CASE WHEN f < 0.02 THEN 0 ELSE floor(f * 10)::int END,
                  CASE WHEN f < 0.02 THEN 0 ELSE floor(f * 20)::int END,
                  400 + floor(f * 2000)::bigint,
                  now() - make_interval(mins => i * $1::int) - f * make_interval(mins => $1::int)
           FROM (SELECT a.id, i, random() AS f
                 FROM integration_accounts a CROSS JOIN generate_series(0, $2::int / $1::int - 1) AS i) l"#,
    )
    .bind(SYNC_INTERVAL_MINUTES as i32)
    .bind(LOG_DAYS_MINUTES as i32)
    .execute(&mut *tx)
    .await
    .context("Failed to insert the sync logs")?;
    tx.commit().await.context("Failed to commit the fill")?;
    // A production table has planner statistics and a visibility map (autovacuum keeps both); a just-filled
    // one would be planned as empty and could not be answered from its indexes alone.
    sqlx::query("VACUUM (ANALYZE) integration_accounts, marketplace_products, marketplace_orders, integration_logs")
        .execute(pool)
        .await
        .context("Failed to vacuum and analyze")?;
    Ok(())
}

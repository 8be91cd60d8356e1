//! The neutral catalog in Postgres: the migration carries rows stored before it over without loss and maps
//! Tokopedia's codes exactly as `OrderStatus::from_tokopedia` / `ProductStatus::from_tokopedia` do, and the
//! reports count what `OrderStatus::is_pending` and `counts_as_revenue` say.

use std::{collections::BTreeMap, future::Future, pin::Pin};

use chrono::Utc;
use ocean_core::{
    MIGRATOR,
    db::{catalog, reports},
    domain::{AccountId, CatalogOrder, OrderStatus, ProductStatus},
};
use serde_json::{Value, json};
use sqlx::{
    PgPool,
    error::BoxDynError,
    migrate::{Migration, MigrationSource, Migrator},
};

/// The migration under test.
const NEUTRAL_CATALOG: i64 = 20261204000005;

/// The embedded migrations older than `0`.
#[derive(Debug)]
struct Before(i64);

impl<'s> MigrationSource<'s> for Before {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move { Ok(MIGRATOR.iter().filter(|m| m.version < self.0).cloned().collect()) })
    }
}

async fn account(pool: &PgPool) -> AccountId {
    sqlx::query_scalar(
        r#"INSERT INTO integration_accounts (integration_id, account_name, account_identifier)
           VALUES ('tokopedia', 'Toko', 'shop_1') RETURNING id"#,
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// An order in the neutral shape with the given external id and status word.
async fn insert_order(pool: &PgPool, account: AccountId, external_id: &str, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO marketplace_orders (account_id, external_id, invoice, status, marketplace_status, total_amount,
                                           order_created_at, raw)
           VALUES ($1, $2, 'INV', $3, $3, 1, now(), '{}')"#,
    )
    .bind(account)
    .bind(external_id)
    .bind(status)
    .execute(pool)
    .await
    .map(drop)
}

/// Every row of a table as JSON, by id.
async fn rows(pool: &PgPool, table: &str) -> BTreeMap<i64, Value> {
    sqlx::query_as::<_, (i64, Value)>(&format!("SELECT id, to_jsonb(t) FROM {table} t"))
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[sqlx::test(migrations = false)]
async fn migration_carries_tokopedia_rows_over_without_loss(pool: PgPool) {
    Migrator::new(Before(NEUTRAL_CATALOG))
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let id = account(&pool).await;
    // Rows in the old shape: every product code from -5 to 5, every order code from -20 to 1000, ids past
    // 2^32, SKUs present and missing, NULL-free raw JSON of any shape.
    sqlx::query(
        r#"INSERT INTO marketplace_products (account_id, external_id, name, sku, price, stock, status, raw, synced_at)
           SELECT $1, 9000000000 + code, 'Produk ' || code, CASE WHEN code % 2 = 0 THEN 'SKU-' || code END,
                  1000 * (code + 10), code + 5, code, jsonb_build_object('basic', jsonb_build_object('status', code)),
                  now() - code * interval '1 hour'
           FROM generate_series(-5, 5) AS code"#,
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        r#"INSERT INTO marketplace_orders (account_id, external_id, invoice, status, total_amount, order_created_at, raw)
           SELECT $1, 7000000000000 + code, 'INV/' || code, code, 500 * (code + 21),
                  now() - (code + 21) * interval '1 minute', jsonb_build_object('order_status', code)
           FROM generate_series(-20, 1000) AS code"#,
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        r#"INSERT INTO integration_mappings (integration_id, account_id, entity_type, external_id, local_id)
           SELECT 'tokopedia', account_id, 'product', external_id::text, id FROM marketplace_products
           UNION ALL
           SELECT 'tokopedia', account_id, 'order', external_id::text, id FROM marketplace_orders"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let (products, orders, mappings) = (
        rows(&pool, "marketplace_products").await,
        rows(&pool, "marketplace_orders").await,
        rows(&pool, "integration_mappings").await,
    );

    MIGRATOR.run(&pool).await.unwrap();

    // Every column of every row is still there, the id as text, the code as marketplace_status beside the
    // neutral status the Rust mapping gives.
    let expected = |old: &BTreeMap<i64, Value>, neutral: &dyn Fn(i32) -> &'static str, added: Value| {
        old.iter()
            .map(|(id, row)| {
                let mut row = row.clone();
                let code = row["status"].as_i64().unwrap();
                row["external_id"] = json!(row["external_id"].as_i64().unwrap().to_string());
                row["status"] = json!(neutral(code as i32));
                row["marketplace_status"] = json!(code.to_string());
                for (column, value) in added.as_object().unwrap() {
                    row[column] = value.clone();
                }
                (*id, row)
            })
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        rows(&pool, "marketplace_products").await,
        expected(
            &products,
            &|code| ProductStatus::from_tokopedia(code).as_str(),
            json!({ "warehouse_stock": [] })
        )
    );
    assert_eq!(
        rows(&pool, "marketplace_orders").await,
        expected(
            &orders,
            &|code| OrderStatus::from_tokopedia(code).as_str(),
            json!({ "order_updated_at": null, "warehouse_id": null })
        )
    );
    assert_eq!(orders.len(), 1021);
    assert_eq!(rows(&pool, "integration_mappings").await, mappings);
    // Mappings still name their rows.
    let unmapped: i64 = sqlx::query_scalar(
        r#"SELECT count(*) FROM marketplace_orders o
           WHERE NOT EXISTS (SELECT 1 FROM integration_mappings m
                             WHERE m.account_id = o.account_id AND m.entity_type = 'order' AND m.external_id = o.external_id)"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unmapped, 0);

    // External ids stay unique per account, and statuses outside the neutral words are refused.
    let duplicate = insert_order(&pool, id, "7000000000700", "completed").await.unwrap_err();
    assert!(duplicate.to_string().contains("unique"), "{duplicate}");
    let unknown_word = insert_order(&pool, id, "x", "AWAITING_SHIPMENT").await.unwrap_err();
    assert!(
        unknown_word.to_string().contains("marketplace_orders_status_check"),
        "{unknown_word}"
    );
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn database_accepts_every_neutral_status(pool: PgPool) {
    let id = account(&pool).await;
    for (n, status) in OrderStatus::ALL.into_iter().enumerate() {
        insert_order(&pool, id, &n.to_string(), status.as_str())
            .await
            .unwrap_or_else(|e| panic!("{status:?}: {e}"));
    }
    for (n, status) in ProductStatus::ALL.into_iter().enumerate() {
        sqlx::query(
            r#"INSERT INTO marketplace_products (account_id, external_id, name, price, stock, status,
                                                 marketplace_status, raw)
               VALUES ($1, $2, 'P', 1, 1, $3, 'x', '{}')"#,
        )
        .bind(id)
        .bind(n.to_string())
        .bind(status.as_str())
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{status:?}: {e}"));
    }
}

/// One order today per neutral status, each with its own power of two as total: the reports' pending count
/// and revenue are exactly what the Rust predicates say, written by the catalog upsert with string ids,
/// update times and warehouses.
#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn reports_read_the_neutral_status(pool: PgPool) {
    let id = account(&pool).await;
    let now = Utc::now();
    let page: Vec<CatalogOrder> = OrderStatus::ALL
        .into_iter()
        .enumerate()
        .map(|(n, status)| CatalogOrder {
            external_id: format!("57646141303878575{n}"),
            invoice: format!("INV/{n}"),
            status,
            marketplace_status: status.as_str().to_uppercase(),
            total: 1 << n,
            created_at: now,
            updated_at: Some(now),
            warehouse_id: Some("6955005333819123123".into()),
            raw: json!({ "n": n }),
        })
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        catalog::upsert_orders(&mut conn, "tokopedia", id, &page).await.unwrap(),
        10
    );
    // Written twice: the second is an update of the same rows.
    assert_eq!(
        catalog::upsert_orders(&mut conn, "tokopedia", id, &page).await.unwrap(),
        10
    );

    let stats = reports::account_stats(&pool, "tokopedia", Some(&[id])).await.unwrap();
    let pending = OrderStatus::ALL.iter().filter(|s| s.is_pending()).count() as i64;
    let revenue: i64 = page
        .iter()
        .filter(|o| o.status.counts_as_revenue())
        .map(|o| o.total)
        .sum();
    assert_eq!(stats[0].total_orders, 10);
    assert_eq!(stats[0].pending_orders, pending);
    assert_eq!(stats[0].orders_today, 10);
    assert_eq!(stats[0].revenue_today, revenue);
    let totals = reports::totals(&pool, "tokopedia", Some(&[id])).await.unwrap();
    assert_eq!((totals.pending_orders, totals.revenue_today), (pending, revenue));

    let stored: (String, String, Option<String>, i64) = sqlx::query_as(
        r#"SELECT o.status, o.marketplace_status, o.warehouse_id, m.local_id FROM marketplace_orders o
           JOIN integration_mappings m ON m.account_id = o.account_id AND m.entity_type = 'order'
                                       AND m.external_id = o.external_id
           WHERE o.external_id = '576461413038785752'"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (stored.0.as_str(), stored.1.as_str(), stored.2.as_deref()),
        ("awaiting_shipment", "AWAITING_SHIPMENT", Some("6955005333819123123"))
    );
}

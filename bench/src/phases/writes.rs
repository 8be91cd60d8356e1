//! Write throughput: real marketplace rows (fetched from the simulator with the production client) written by
//! our batched upserts, fenced as the worker does (one transaction per page that first checks the account's
//! lease), next to Postgres `COPY` of the same rows into equivalent tables (see [`super::copy`]).

use std::time::Instant;

use anyhow::Context;
use ocean_core::{
    db::{
        catalog,
        leases::{self, Lease},
    },
    marketplace::{AppCredentials, TokopediaClient, catalog as catalog_of, order_windows, tokopedia},
};
use ocean_sim::ShopConfig;
use secrecy::SecretString;
use serde::Serialize;
use sqlx::PgPool;

use crate::{cli::Settings, harness::Phase, phases::copy, seed};

/// The worker's page sizes.
const PRODUCT_PAGE: usize = 50;
const ORDER_PAGE: usize = 100;

/// Records per second of one kind of write.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Throughput {
    /// Into empty tables.
    pub first_pass: f64,
    /// The same rows again (a re-sync: every row conflicts and is updated).
    pub second_pass: f64,
}

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct WritesResult {
    pub products: usize,
    pub orders: usize,
    /// Mean size of a product's / order's `raw` JSON, in bytes.
    pub product_raw_bytes: usize,
    pub order_raw_bytes: usize,
    /// How our path wrote: fenced transactions per page of 50 products / 100 orders, each record a
    /// product or order row plus its `integration_mappings` row.
    pub ours_mode: &'static str,
    pub ours_products: Throughput,
    pub ours_orders: Throughput,
    /// `COPY` into `LIKE … INCLUDING ALL` tables (same indexes), records with their mapping rows too.
    pub copy_products: f64,
    pub copy_orders: f64,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<WritesResult> {
    let shop = ShopConfig {
        products: settings.write_products.min(99_999),
        orders: settings.write_orders.min(999_999),
        order_days: 30,
        ..ShopConfig::default()
    };
    let app = seed::one_app(1, 55_501, shop);
    // Serves until the end of the phase.
    let (_sim, mut market) = seed::unthrottled_sim(&app).await?;
    (market.rate_per_sec, market.burst) = (100_000, 100_000);
    let client = TokopediaClient::new(&market)?;
    let creds = AppCredentials {
        fs_id: app.fs_id,
        client_id: app.client_id.clone(),
        client_secret: SecretString::from(app.client_secret.clone()),
    };
    let shop_id = app.shops[0].shop_id;
    let products = client
        .all_products(&creds, shop_id)
        .await
        .context("Failed to read products from the simulator")?;
    let now = chrono::Utc::now().timestamp();
    let mut orders = Vec::new();
    for window in order_windows(now - 32 * 86_400, now + 60) {
        orders.extend(client.window_orders(&creds, shop_id, window).await?);
    }
    // Windows share their boundary second; COPY (unlike our upsert) must not see an order twice.
    orders.sort_by_key(|o| o.item.order_id);
    orders.dedup_by_key(|o| o.item.order_id);
    anyhow::ensure!(
        !products.is_empty() && !orders.is_empty(),
        "the simulator returned no rows"
    );
    let mean = |total: usize, n: usize| total / n.max(1);
    let product_raw_bytes = mean(products.iter().map(|p| p.raw.to_string().len()).sum(), products.len());
    let order_raw_bytes = mean(orders.iter().map(|o| o.raw.to_string().len()).sum(), orders.len());

    let (_, keyring) = seed::keyring()?;
    let account = seed::create_accounts(&phase.pool, &keyring, &app).await?[0];
    let lease = leases::acquire_lease(
        &phase.pool,
        account,
        "ocean-bench",
        std::time::Duration::from_secs(3600),
    )
    .await?
    .context("Failed to take the account's lease")?;

    let mut ours_products = Throughput::default();
    let mut ours_orders = Throughput::default();
    for pass in 0..2 {
        let started = Instant::now();
        for page in products.chunks(PRODUCT_PAGE) {
            // As the worker does: each page read becomes the neutral catalog, then is written.
            let page = &catalog_of::products(page);
            fenced(&phase.pool, lease, async |conn| {
                catalog::upsert_products(conn, tokopedia::ID, account, page, false).await
            })
            .await?;
        }
        let products_rate = products.len() as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        for page in orders.chunks(ORDER_PAGE) {
            let page = &catalog_of::orders(page);
            fenced(&phase.pool, lease, async |conn| {
                catalog::upsert_orders(conn, tokopedia::ID, account, page).await
            })
            .await?;
        }
        let orders_rate = orders.len() as f64 / started.elapsed().as_secs_f64();
        let (p, o) = if pass == 0 {
            (&mut ours_products.first_pass, &mut ours_orders.first_pass)
        } else {
            (&mut ours_products.second_pass, &mut ours_orders.second_pass)
        };
        (*p, *o) = (products_rate, orders_rate);
    }
    let counts = catalog::counts(&phase.pool, account).await?;
    let expected = (products.len() as i64, orders.len() as i64);
    anyhow::ensure!(
        (counts.products, counts.orders) == expected,
        "wrote {} products and {} orders, expected {expected:?}",
        counts.products,
        counts.orders
    );

    let copied = copy::run(&phase.pool, account, &products, &orders).await?;
    Ok(WritesResult {
        products: products.len(),
        orders: orders.len(),
        product_raw_bytes,
        order_raw_bytes,
        ours_mode: "fenced: one transaction per page, lease checked first (SELECT ... FOR SHARE), as the worker does",
        ours_products,
        ours_orders,
        copy_products: copied.products_per_sec,
        copy_orders: copied.orders_per_sec,
    })
}

/// The worker's fence: a transaction that first checks this lease is still the newest.
async fn fenced<T>(
    pool: &PgPool,
    lease: Lease,
    write: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, sqlx::Error>,
) -> anyhow::Result<T> {
    let mut tx = pool.begin().await.context("Failed to begin a write")?;
    anyhow::ensure!(leases::hold_fence(&mut tx, lease).await?, "lease lost");
    let value = write(&mut tx).await.context("Upsert failed")?;
    tx.commit().await.context("Failed to commit a write")?;
    Ok(value)
}

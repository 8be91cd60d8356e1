//! What a phase syncs: the simulator (testkit's) on an ephemeral loopback port, one app's shops, a fresh keyring,
//! and accounts with sealed credentials created directly in Postgres.

use anyhow::Context;
use ocean_core::{crypto::Keyring, db::accounts, domain::AccountId};
use ocean_sim::{AppConfig, ShopConfig, SimConfig};
use ocean_testkit::SimServer;
use secrecy::SecretString;
use sqlx::PgPool;

/// A simulator serving `app` alone, with limits high enough that nothing is throttled (for phases that
/// measure writes, not the marketplace), and marketplace settings pointing at it.
pub async fn unthrottled_sim(app: &AppConfig) -> anyhow::Result<(SimServer, ocean_core::config::MarketplaceSettings)> {
    let sim = SimServer::try_start(SimConfig {
        apps: vec![app.clone()],
        rate_limit: ocean_sim::RateLimit {
            rate_per_sec: 100_000.0,
            burst: 100_000,
        },
        ..SimConfig::default()
    })
    .await?;
    let mut market = crate::processes::marketplace_defaults();
    (market.base_url, market.auth_url) = (sim.base_url.clone(), format!("{}/token", sim.base_url));
    Ok((sim, market))
}

/// One app whose shops are generated from `shop`, numbered from `first_shop_id`.
pub fn one_app(shops: usize, first_shop_id: u64, shop: ShopConfig) -> AppConfig {
    AppConfig {
        fs_id: 4242,
        client_id: "bench-client".into(),
        client_secret: "bench-secret".into(),
        shops: (0..shops as u64)
            .map(|i| ShopConfig {
                shop_id: first_shop_id + i,
                name: format!("Toko Bench {i}"),
                seed: i,
                ..shop.clone()
            })
            .collect(),
    }
}

/// A fresh random keyring: its spec (for `OCEAN_ENCRYPTION_KEYS`) and the parsed ring.
pub fn keyring() -> anyhow::Result<(SecretString, Keyring)> {
    let spec = ocean_testkit::keyring_spec();
    let ring = Keyring::parse(&spec).context("Failed to build the bench keyring")?;
    Ok((spec, ring))
}

/// One enabled, auto-synced account per shop of `app` (products, orders, shop info), due at once.
pub async fn create_accounts(pool: &PgPool, keyring: &Keyring, app: &AppConfig) -> anyhow::Result<Vec<AccountId>> {
    let mut conn = pool.acquire().await.context("Failed to get a connection")?;
    let mut ids = Vec::with_capacity(app.shops.len());
    for shop in &app.shops {
        let new = ocean_testkit::new_account(app, shop, &shop.name, 60);
        let account = accounts::insert(&mut conn, keyring, &new)
            .await
            .context("Failed to insert an account")?;
        ids.push(account.id);
    }
    Ok(ids)
}

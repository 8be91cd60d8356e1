//! What a phase syncs: the simulator on an ephemeral loopback port, one app's shops, a fresh keyring,
//! and accounts with sealed credentials created directly in Postgres.

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};
use ocean_core::{crypto::Keyring, db::accounts, domain::AccountId};
use ocean_sim::{AppConfig, ShopConfig, Sim, SimConfig};
use rand::RngCore;
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The simulator serving on 127.0.0.1; stops when dropped.
pub struct SimServer {
    /// The simulator's state (request counters).
    pub sim: Sim,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    _stop: DropGuard,
}

impl SimServer {
    /// Starts `config` on an ephemeral port.
    pub async fn start(config: SimConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("Failed to bind the simulator's port")?;
        let base_url = format!("http://{}", listener.local_addr().context("simulator address")?);
        let sim = Sim::new(config);
        let stop = CancellationToken::new();
        let cancelled = stop.clone();
        let served = sim.clone();
        tokio::spawn(async move {
            if let Err(e) = ocean_sim::serve(listener, served, async move { cancelled.cancelled().await }).await {
                tracing::warn!(error.message = %e, "simulator stopped");
            }
        });
        Ok(Self {
            sim,
            base_url,
            _stop: stop.drop_guard(),
        })
    }
}

impl SimServer {
    /// `app` alone, with limits high enough that nothing is throttled (for phases that measure writes,
    /// not the marketplace), and marketplace settings pointing at it.
    pub async fn unthrottled(app: &AppConfig) -> anyhow::Result<(Self, ocean_core::config::MarketplaceSettings)> {
        let sim = Self::start(SimConfig {
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
pub fn keyring() -> anyhow::Result<(String, Keyring)> {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let spec = format!("bench:{}", STANDARD.encode(key));
    let ring = Keyring::parse(&SecretString::from(spec.clone())).context("Failed to build the bench keyring")?;
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

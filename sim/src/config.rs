//! Configuration of a simulated world: Tokopedia apps (fs_id + credentials),
//! the shops linked to them and the rate limits the gateway enforces, plus
//! the TikTok Shop section (apps, shops, token lifetimes, hidden limits).
//!
//! Every type is `Serialize`/`Deserialize` with serde defaults for optional
//! fields, so a JSON file (`ocean-sim --config world.json`) can describe a
//! world as tersely as `{"apps":[{"fs_id":1,"client_id":"a","client_secret":"b",
//! "shops":[{"shop_id":2}]}]}`.
//!
//! One listener serves both marketplaces. With the sim at `{sim}` (e.g.
//! `http://127.0.0.1:8090`), a Tokopedia client uses `{sim}` as its API base
//! and `{sim}/token` as its token URL; a TikTok Shop client uses
//! `{sim}/tiktok-shop/api` for `open-api.tiktokglobalshop.com` and
//! `{sim}/tiktok-shop/auth` for `auth.tiktok-shops.com` (consent page at
//! `{sim}/tiktok-shop/auth/open/authorize`). See [`crate::tiktok_shop`].

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The whole simulated world plus gateway behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Partner applications and the shops linked to each.
    pub apps: Vec<AppConfig>,
    /// Lifetime of an access token in seconds (Tokopedia: 2 weeks).
    pub token_ttl_secs: u64,
    /// Token bucket used for every endpoint without an override.
    pub rate_limit: RateLimit,
    /// Per-endpoint overrides, keyed by endpoint name (see [`crate::Endpoint`]).
    pub endpoint_limits: HashMap<String, RateLimit>,
    /// A page past the end answers `data: null` instead of `data: []`.
    pub empty_page_null: bool,
    /// The TikTok Shop world (default: no app).
    pub tiktok_shop: crate::tiktok_shop::Config,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            token_ttl_secs: 1_209_600,
            rate_limit: RateLimit::default(),
            endpoint_limits: HashMap::new(),
            empty_page_null: false,
            tiktok_shop: crate::tiktok_shop::Config::default(),
        }
    }
}

impl SimConfig {
    /// Reads a JSON config file; errors name the file and the JSON problem.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing config {}", path.display()))
    }

    /// The demo world: one Tokopedia app per city, each linked to one fashion
    /// shop, and one TikTok Shop app with a Bandung shop (see
    /// [`crate::tiktok_shop::Config::demo`]).
    pub fn demo() -> Self {
        let shop = |shop_id, name: &str, seed, products, orders| ShopConfig {
            shop_id,
            name: name.to_owned(),
            seed,
            products,
            orders,
            order_days: 30,
            latency_ms: 20,
            failure_rate: 0.0,
        };
        Self {
            apps: vec![
                AppConfig {
                    fs_id: 12345,
                    client_id: "jakarta-client".into(),
                    client_secret: "jakarta-secret".into(),
                    shops: vec![shop(67890, "Fashion Store Jakarta", 1, 240, 900)],
                },
                AppConfig {
                    fs_id: 67891,
                    client_id: "surabaya-client".into(),
                    client_secret: "surabaya-secret".into(),
                    shops: vec![shop(12346, "Fashion Store Surabaya", 2, 160, 450)],
                },
            ],
            tiktok_shop: crate::tiktok_shop::Config::demo(),
            ..Self::default()
        }
    }
}

/// A token bucket: `burst` tokens, refilled at `rate_per_sec`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Tokens regained per second. Values that are not finite and positive
    /// are treated as 0.001 (practically no refill).
    pub rate_per_sec: f64,
    /// Bucket capacity; 0 makes every call answer 429.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            rate_per_sec: 5.0,
            burst: 5,
        }
    }
}

/// A partner application ("fulfillment service") with its credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    /// App id used in paths (`/fs/{fs_id}/`) and the order list query.
    pub fs_id: u64,
    /// OAuth client id for `POST /token`.
    pub client_id: String,
    /// OAuth client secret for `POST /token`.
    pub client_secret: String,
    /// Shops linked to (approved for) this app.
    #[serde(default)]
    pub shops: Vec<ShopConfig>,
}

/// One shop and how its data is generated and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopConfig {
    /// Tokopedia shop id. Product ids (`shop_id * 100_000 + n`) and order ids
    /// (`shop_id * 1_000_000 + n`) are derived from it, so keep it below ~10^12.
    pub shop_id: u64,
    /// Display name; a city name in it (e.g. "Jakarta") picks the shop's location.
    pub name: String,
    /// Seed of the catalog and order history; same seed, same data.
    pub seed: u64,
    /// Number of products in the catalog (at most 99 999).
    pub products: usize,
    /// Number of paid orders in the history (at most 999 999).
    pub orders: usize,
    /// Length of the order history in days, ending at the sim's anchor time.
    pub order_days: u32,
    /// Delay added before answering any call aimed at this shop.
    pub latency_ms: u64,
    /// Probability (0..=1) that a call aimed at this shop fails with HTTP 500.
    pub failure_rate: f64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            shop_id: 0,
            name: "Toko Simulasi".into(),
            seed: 0,
            products: 50,
            orders: 100,
            order_days: 30,
            latency_ms: 0,
            failure_rate: 0.0,
        }
    }
}

/// Largest catalog a shop can have (product ids leave room for 5 digits).
pub(crate) const MAX_PRODUCTS: usize = 99_999;
/// Largest order history a shop can have (order ids leave room for 6 digits).
pub(crate) const MAX_ORDERS: usize = 999_999;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_json_uses_defaults() {
        let json = r#"{"apps":[{"fs_id":1,"client_id":"a","client_secret":"b","shops":[{"shop_id":2}]}]}"#;
        let config: SimConfig = serde_json::from_str(json).expect("valid config");
        assert_eq!(config.token_ttl_secs, 1_209_600);
        assert_eq!(config.rate_limit, RateLimit::default());
        assert_eq!(config.apps[0].shops[0].shop_id, 2);
        assert_eq!(config.apps[0].shops[0].order_days, 30);
        assert!(config.tiktok_shop.apps.is_empty());
    }

    #[test]
    fn demo_round_trips_through_json() {
        let demo = SimConfig::demo();
        let json = serde_json::to_string(&demo).expect("serializable");
        let back: SimConfig = serde_json::from_str(&json).expect("deserializable");
        assert_eq!(back, demo);
    }
}

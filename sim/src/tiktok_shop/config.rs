//! The TikTok Shop part of the world (`SimConfig::tiktok_shop`): partner apps,
//! the shops that consent to them, token lifetimes, the hidden rate limit and
//! the world clock.
//!
//! Every field has a serde default, so a config without a `tiktok_shop`
//! section serves no TikTok Shop app, and a minimal one reads
//! `{"apps":[{"app_key":"k","app_secret":"s","shops":[{"shop_id":7494000000000054321}]}]}`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::config::RateLimit;

/// Everything TikTok Shop: apps, shops and gateway behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Partner apps and the shops whose sellers consent to each.
    pub apps: Vec<AppConfig>,
    /// Lifetime of an access token in seconds (TikTok Shop: about 7 days).
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token in seconds (default 365 days).
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of an authorization code in seconds (TikTok Shop: about 30 minutes).
    pub auth_code_ttl_secs: u64,
    /// A refresh hands out a new refresh token and retires the old one
    /// (default true). When false the refresh token and its expiry stay.
    pub rotate_refresh_token: bool,
    /// Freezes the world clock: it then moves only through
    /// `POST /sim/tiktok-shop/clock/advance` (default false: it follows the wall clock).
    pub frozen_clock: bool,
    /// Hidden token bucket per (app, shop, endpoint) for every endpoint without
    /// an override (default 50 req/s, burst 50). Never reported in headers.
    pub rate_limit: RateLimit,
    /// Per-endpoint overrides, keyed by endpoint name (see [`crate::tiktok_shop::Endpoint`]).
    pub endpoint_limits: HashMap<String, RateLimit>,
    /// A 429 carries `Retry-After` (whole seconds until the bucket has a token
    /// again) when true (default false).
    pub retry_after: bool,
    /// Product search refuses pages reaching past this many results with
    /// 12052180 (default 10 000).
    pub product_search_cap: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            access_token_ttl_secs: 7 * DAY_SECS,
            refresh_token_ttl_secs: 365 * DAY_SECS,
            auth_code_ttl_secs: 1_800,
            rotate_refresh_token: true,
            frozen_clock: false,
            rate_limit: RateLimit {
                rate_per_sec: 50.0,
                burst: 50,
            },
            endpoint_limits: HashMap::new(),
            retry_after: false,
            product_search_cap: 10_000,
        }
    }
}

const DAY_SECS: u64 = 86_400;

impl Config {
    /// The demo section: one app with one Bandung shop stocked in two warehouses.
    pub fn demo() -> Self {
        Self {
            apps: vec![AppConfig {
                app_key: "6demotiktokapp".into(),
                app_secret: "demo-tiktok-secret".into(),
                service_id: "7312000000000000001".into(),
                redirect_uri: String::new(),
                shops: vec![ShopConfig {
                    shop_id: 7_494_000_000_000_054_321,
                    cipher: String::new(),
                    name: "Fashion Store Bandung".into(),
                    region: "ID".into(),
                    warehouses: vec![
                        WarehouseConfig {
                            id: 7_068_000_000_543_210_001,
                            name: "Gudang Bandung".into(),
                        },
                        WarehouseConfig {
                            id: 7_068_000_000_543_210_002,
                            name: "Gudang Cimahi".into(),
                        },
                    ],
                    seed: 3,
                    products: 120,
                    orders: 600,
                    order_days: 30,
                    arrivals_per_day: 20,
                    arrival_days: 30,
                    latency_ms: 20,
                    failure_rate: 0.0,
                }],
            }],
            ..Self::default()
        }
    }
}

/// A partner app registered in the TikTok Shop Partner Center.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    /// `app_key` of signed requests and token calls.
    pub app_key: String,
    /// Key of every signature and the `app_secret` of token calls.
    pub app_secret: String,
    /// `service_id` of the consent page `/open/authorize` (empty: that page
    /// does not know the app; `/oauth/authorize?app_key=` still does).
    #[serde(default)]
    pub service_id: String,
    /// Registered callback; the consent page redirects there unless the
    /// request names a `redirect_uri` (empty: the request must name one).
    #[serde(default)]
    pub redirect_uri: String,
    /// Shops whose seller consents to this app.
    #[serde(default)]
    pub shops: Vec<ShopConfig>,
}

/// One TikTok Shop shop and how its data is generated and served.
///
/// Its catalog and orders come from the same generators as a Tokopedia shop's
/// (same seed, same products). Wire ids derive from the last seven digits of
/// `shop_id`, so keep those distinct across TikTok Shop shops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShopConfig {
    /// Shop id (on the wire a string of up to 19 digits).
    pub shop_id: u64,
    /// `shop_cipher` identifying the shop in requests (empty: `ROW_` + a
    /// value derived from the id).
    pub cipher: String,
    /// Display name; a city name in it (e.g. "Bandung") picks the location.
    pub name: String,
    /// Seller base region (default "ID").
    pub region: String,
    /// Warehouses stocking every SKU (empty: one warehouse with a derived id).
    pub warehouses: Vec<WarehouseConfig>,
    /// Seed of the catalog and orders; same seed, same data.
    pub seed: u64,
    /// Number of products (at most 99 999), one SKU each.
    pub products: usize,
    /// Number of orders created in the `order_days` before the anchor (at most 999 999).
    pub orders: usize,
    /// Length of the order history in days, ending at the anchor.
    pub order_days: u32,
    /// Orders arriving per day after the anchor, as the world clock passes them.
    pub arrivals_per_day: u32,
    /// Days after the anchor that arrivals are generated for.
    pub arrival_days: u32,
    /// Delay added before answering any call aimed at this shop.
    pub latency_ms: u64,
    /// Probability (0..=1) that a call aimed at this shop fails with
    /// HTTP 500 and code 36009003.
    pub failure_rate: f64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            shop_id: 0,
            cipher: String::new(),
            name: "Toko Simulasi".into(),
            region: "ID".into(),
            warehouses: Vec::new(),
            seed: 0,
            products: 50,
            orders: 100,
            order_days: 30,
            arrivals_per_day: 5,
            arrival_days: 30,
            latency_ms: 0,
            failure_rate: 0.0,
        }
    }
}

/// A seller warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarehouseConfig {
    /// Warehouse id (a string on the wire).
    pub id: u64,
    /// Display name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_json_uses_defaults() {
        let json = r#"{"apps":[{"app_key":"k","app_secret":"s","shops":[{"shop_id":7494000000000054321}]}]}"#;
        let config: Config = serde_json::from_str(json).expect("valid config");
        assert_eq!(config.access_token_ttl_secs, 604_800);
        assert!(config.rotate_refresh_token);
        assert!(!config.frozen_clock);
        let shop = &config.apps[0].shops[0];
        assert_eq!(shop.region, "ID");
        assert!(shop.warehouses.is_empty());
        assert_eq!(config.apps[0].service_id, "");
    }
}

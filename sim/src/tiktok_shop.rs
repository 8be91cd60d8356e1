//! The TikTok Shop Partner API, served beside the Tokopedia API from the same
//! listener and the same deterministic world (`SimConfig::tiktok_shop`).
//!
//! # Base URLs
//!
//! The platform uses two hosts; the simulator serves each under a prefix of
//! its own address (`http://127.0.0.1:8090` for `ocean-sim`'s default):
//!
//! | production | simulator |
//! |---|---|
//! | API `https://open-api.tiktokglobalshop.com` | `{sim}/tiktok-shop/api` |
//! | auth `https://auth.tiktok-shops.com` | `{sim}/tiktok-shop/auth` |
//! | consent `https://services.tiktokshop.com/open/authorize` | `{sim}/tiktok-shop/auth/open/authorize` |
//!
//! A signature covers the path below the prefix (`/order/202309/orders/search`),
//! exactly what the production host sees.
//!
//! # Routes
//!
//! API (signed: `app_key`, `timestamp`, `sign`, and `shop_cipher` except on
//! `/authorization/*`; header `x-tts-access-token`):
//! - `GET /authorization/202309/shops`
//! - `POST /product/202502/products/search` (also `202309`)
//! - `GET /product/202309/products/{product_id}`
//! - `POST /product/202309/inventory/search`
//! - `POST /product/202309/products/{product_id}/inventory/update`
//! - `POST /order/202309/orders/search`
//! - `GET /order/202309/orders?ids=…` (also `202507`)
//! - `GET /logistics/202309/warehouses`
//! - `GET`, `PUT` and `DELETE /event/202309/webhooks` (`{address, event_type}`)
//!
//! Auth (unsigned):
//! - `GET /oauth/authorize?app_key&state[&redirect_uri]` and
//!   `GET /open/authorize?service_id&state[&redirect_uri]`: the consent page.
//!   It redirects at once (302) to the redirect URI (the request's, else the
//!   app's registered one) with a fresh single-use `code` and the `state`.
//!   Simulator-only parameters: `shop_id` (comma-separated) picks which of the
//!   app's shops the seller holds (default: all of them), and
//!   `sim_consent=refuse` refuses, redirecting with `error=access_denied`.
//! - `GET /api/v2/token/get?app_key&app_secret&auth_code&grant_type=authorized_code`
//! - `GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token`
//!
//! Controls (`/sim/tiktok-shop/*`, plain JSON, mirrored by [`Controls`]):
//! `GET stats`, `GET clock`, `POST clock/advance`, `PUT consent`,
//! `POST shops/{shop_id}/revoke`, `POST tokens/expire`,
//! `POST shops/{shop_id}/orders/{order_id}/advance`, `PUT rate-limit`,
//! `GET webhooks/deliveries`, `GET|PUT webhooks/faults`, `POST webhooks/release`.
//!
//! # Webhooks
//!
//! Addresses registered per (app, shop, event type) receive signed POSTs
//! (see `webhooks`): `ORDER_STATUS_CHANGE` (1) when an order is created or
//! reaches a status as the world clock passes, or by the advance control;
//! `SELLER_DEAUTHORIZATION` (6) on revocation; none for stock writes, as on the
//! platform (other event types can be registered). Failed deliveries are
//! retried after 2 min, 30 min, 3 h and 12 h of world time.
//!
//! # Time
//!
//! Token and code expiry, order progress and arrivals follow the world clock
//! (see `clock`), which tests freeze and advance; request timestamps are
//! checked against the wall clock.

mod auth;
mod clock;
mod config;
mod controls;
mod endpoint;
mod envelope;
mod gateway;
mod ids;
mod order;
mod paging;
mod routes;
pub mod signing;
mod stats;
mod webhooks;
mod world;

use std::collections::BTreeSet;

pub use config::{AppConfig, Config, ShopConfig, WarehouseConfig};
pub use controls::Controls;
pub use endpoint::Endpoint;
pub use stats::Stats;
pub use webhooks::{Acknowledged, Delivery, DeliveryLog, Faults, RETRY_SCHEDULE_SECS};

pub(crate) use routes::{api_router, auth_router, control_router};

use crate::ratelimit::{RateLimiter, endpoint_overrides};

/// Everything mutable on the TikTok Shop side; lives in the sim's one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub clock: clock::Clock,
    pub world: world::World,
    pub auth: auth::Auth,
    /// Hidden buckets per ((app key, shop id or 0), endpoint).
    pub limiter: RateLimiter<(String, u64), Endpoint>,
    pub stats: Stats,
    pub lifetimes: auth::Lifetimes,
    pub retry_after: bool,
    pub product_search_cap: usize,
    /// Every consent is refused.
    pub refuse_all: bool,
    /// Consents to these apps are refused.
    pub refusing: BTreeSet<String>,
    pub webhooks: webhooks::Webhooks,
}

impl State {
    /// Builds the TikTok Shop world; `anchor` starts the world clock.
    pub fn new(config: &Config, anchor: i64) -> Self {
        let overrides = endpoint_overrides(&config.endpoint_limits, Endpoint::from_name);
        let secs = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        Self {
            clock: clock::Clock::new(anchor, config.frozen_clock),
            world: world::World::new(config, anchor),
            auth: auth::Auth::default(),
            limiter: RateLimiter::new(config.rate_limit, overrides),
            stats: Stats::default(),
            lifetimes: auth::Lifetimes {
                access: secs(config.access_token_ttl_secs),
                refresh: secs(config.refresh_token_ttl_secs),
                code: secs(config.auth_code_ttl_secs),
                rotate_refresh: config.rotate_refresh_token,
            },
            retry_after: config.retry_after,
            product_search_cap: config.product_search_cap,
            refuse_all: false,
            refusing: BTreeSet::new(),
            webhooks: webhooks::Webhooks::new(anchor),
        }
    }
}

//! [`Sim`], the shared simulator handle, with its runtime controls, access
//! tokens and request statistics.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use crate::config::{AppConfig, RateLimit, SimConfig};
use crate::orders::Order;
use crate::ratelimit::{Endpoint, RateLimiter, endpoint_overrides};
use crate::registry::Registry;

/// Request counters, as served by `GET /sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    /// Every request to a marketplace route (token, API or unknown route).
    pub total_requests: u64,
    /// Requests per endpoint name, plus `token` and `unknown`.
    pub requests: BTreeMap<String, u64>,
    /// HTTP 429 answers per endpoint name.
    pub rate_limited: BTreeMap<String, u64>,
    /// Bulk rows refused with `ERR_TOO_MANY_REQUEST`, per endpoint name.
    pub throttled_rows: BTreeMap<String, u64>,
    /// Bulk rows received (accepted or not), per endpoint name.
    #[serde(default)]
    pub bulk_rows: BTreeMap<String, u64>,
    /// Successful `POST /token` answers (including re-sent live tokens).
    pub token_grants: u64,
    /// Distinct access tokens minted.
    pub tokens_issued: u64,
}

pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str, by: u64) {
    *map.entry(key.to_owned()).or_default() += by;
}

impl SimStats {
    pub(crate) fn count_request(&mut self, endpoint: &str) {
        self.total_requests += 1;
        bump(&mut self.requests, endpoint, 1);
    }

    pub(crate) fn count_rate_limited(&mut self, endpoint: &str) {
        bump(&mut self.rate_limited, endpoint, 1);
    }

    pub(crate) fn count_throttled_rows(&mut self, endpoint: &str, rows: u64) {
        if rows > 0 {
            bump(&mut self.throttled_rows, endpoint, rows);
        }
    }

    pub(crate) fn count_bulk_rows(&mut self, endpoint: &str, rows: u64) {
        bump(&mut self.bulk_rows, endpoint, rows);
    }
}

/// A token answer: the token and its remaining lifetime.
pub(crate) struct Grant {
    pub token: String,
    pub expires_in: u64,
}

/// One live token per app, as Tokopedia hands out.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    by_token: HashMap<String, (u64, Instant)>,
    current: HashMap<u64, String>,
}

impl Tokens {
    /// The app's live token, or a fresh one if it has none (or it has less
    /// than a second left). Returns whether a new token was minted.
    fn grant(&mut self, fs_id: u64, ttl: Duration, now: Instant) -> (Grant, bool) {
        if let Some(token) = self.current.get(&fs_id)
            && let Some(&(_, expires)) = self.by_token.get(token)
        {
            let left = expires.saturating_duration_since(now).as_secs();
            if left > 0 {
                let grant = Grant {
                    token: token.clone(),
                    expires_in: left,
                };
                return (grant, false);
            }
        }
        if let Some(old) = self.current.remove(&fs_id) {
            self.by_token.remove(&old);
        }
        let bytes: [u8; 16] = rand::rng().random();
        let token = format!("c:{}", URL_SAFE_NO_PAD.encode(bytes));
        self.by_token.insert(token.clone(), (fs_id, now + ttl));
        self.current.insert(fs_id, token.clone());
        let grant = Grant {
            token,
            expires_in: ttl.as_secs(),
        };
        (grant, true)
    }

    /// The app a live token belongs to.
    pub(crate) fn app_of(&self, token: &str, now: Instant) -> Option<u64> {
        self.by_token
            .get(token)
            .filter(|(_, expires)| *expires > now)
            .map(|&(fs_id, _)| fs_id)
    }
}

/// Everything mutable, behind one lock (never held across an await).
#[derive(Debug)]
pub(crate) struct State {
    pub registry: Registry,
    pub tokens: Tokens,
    pub limiter: RateLimiter<u64>,
    pub stats: SimStats,
    /// Planned outages: (shop, endpoint name) → calls that still succeed before every call fails.
    pub outages: HashMap<(u64, String), u64>,
    /// The TikTok Shop hosts' world, tokens, buckets and counters.
    pub tiktok: crate::tiktok_shop::State,
}

struct Inner {
    anchor: i64,
    token_ttl: Duration,
    empty_page_null: bool,
    state: Mutex<State>,
}

/// A running simulated marketplace. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

/// A [`Sim`] that does not keep it alive (for its background tasks).
#[derive(Clone)]
pub(crate) struct WeakSim {
    inner: Weak<Inner>,
}

impl WeakSim {
    pub(crate) fn upgrade(&self) -> Option<Sim> {
        self.inner.upgrade().map(|inner| Sim { inner })
    }
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("anchor", &self.inner.anchor)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Builds the world. Order histories end at the current time rounded
    /// down to the minute (the anchor).
    pub fn new(config: SimConfig) -> Sim {
        let now = chrono::Utc::now().timestamp();
        Self::new_at(config, now - now.rem_euclid(60))
    }

    /// Like [`Sim::new`] with an explicit anchor (unix seconds), for tests
    /// that need identical order histories across runs.
    pub fn new_at(config: SimConfig, anchor: i64) -> Sim {
        let overrides = endpoint_overrides(&config.endpoint_limits, Endpoint::from_name);
        let state = State {
            registry: Registry::new(&config.apps, anchor),
            tokens: Tokens::default(),
            limiter: RateLimiter::new(config.rate_limit, overrides),
            stats: SimStats::default(),
            outages: HashMap::new(),
            tiktok: crate::tiktok_shop::State::new(&config.tiktok_shop, anchor),
        };
        Sim {
            inner: Arc::new(Inner {
                anchor,
                token_ttl: Duration::from_secs(config.token_ttl_secs),
                empty_page_null: config.empty_page_null,
                state: Mutex::new(state),
            }),
        }
    }

    /// Newest possible order `create_time` (unix seconds).
    pub fn anchor(&self) -> i64 {
        self.inner.anchor
    }

    pub(crate) fn empty_page_null(&self) -> bool {
        self.inner.empty_page_null
    }

    pub(crate) fn downgrade(&self) -> WeakSim {
        WeakSim {
            inner: Arc::downgrade(&self.inner),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicked handler cannot leave the data unusable for a simulator;
        // ignoring poison keeps one bug from failing every later call.
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands out the app's token (see [`Tokens::grant`]) and counts it.
    pub(crate) fn grant_token(&self, fs_id: u64) -> Grant {
        let mut state = self.lock();
        let (grant, minted) = state.tokens.grant(fs_id, self.inner.token_ttl, Instant::now());
        state.stats.token_grants += 1;
        if minted {
            state.stats.tokens_issued += 1;
        }
        grant
    }

    /// Sets the probability (clamped to 0..=1) that calls aimed at the shop
    /// fail with HTTP 500. Returns false for an unknown shop.
    pub fn set_failure_rate(&self, shop_id: u64, rate: f64) -> bool {
        let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
        self.with_shop_config(shop_id, |c| c.failure_rate = rate)
    }

    /// Plans an outage: after `ok_calls` more successful calls to `endpoint` (e.g. `order-list`) aimed at
    /// the shop, every further call fails with HTTP 500 until [`Sim::end_outages`]. Lets a test break a
    /// sync at an exact point.
    pub fn fail_endpoint_after(&self, shop_id: u64, endpoint: &str, ok_calls: u64) {
        self.lock().outages.insert((shop_id, endpoint.to_owned()), ok_calls);
    }

    /// Ends every planned outage.
    pub fn end_outages(&self) {
        self.lock().outages.clear();
    }

    /// Sets the delay before answering calls aimed at the shop. Returns false
    /// for an unknown shop.
    pub fn set_latency(&self, shop_id: u64, latency: Duration) -> bool {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.with_shop_config(shop_id, |c| c.latency_ms = ms)
    }

    fn with_shop_config(&self, shop_id: u64, f: impl FnOnce(&mut crate::ShopConfig)) -> bool {
        let mut state = self.lock();
        match state.registry.shops.get_mut(&shop_id) {
            Some(shop) => {
                f(&mut shop.config);
                true
            }
            None => false,
        }
    }

    /// Adds an app (or replaces the one with the same fs_id) and generates
    /// its shops. Tokens already granted stay valid.
    pub fn add_app(&self, app: AppConfig) {
        let anchor = self.inner.anchor;
        self.lock().registry.add_app(app, anchor);
    }

    /// Changes the default limit (`None`) or one endpoint's limit. Affected
    /// buckets restart full. Returns false for an unknown endpoint name.
    pub fn set_rate_limit(&self, endpoint: Option<&str>, limit: RateLimit) -> bool {
        let endpoint = match endpoint {
            None => None,
            Some(name) => match Endpoint::from_name(name) {
                Some(e) => Some(e),
                None => return false,
            },
        };
        self.lock().limiter.set(endpoint, limit);
        true
    }

    /// Invalidates every access token (the next API call gets a 401).
    pub fn expire_tokens(&self) {
        self.lock().tokens = Tokens::default();
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> SimStats {
        self.lock().stats.clone()
    }

    /// The product as currently stored (stock reflects updates).
    pub fn product(&self, shop_id: u64, product_id: u64) -> Option<Product> {
        let state = self.lock();
        state.registry.shops.get(&shop_id)?.product(product_id).cloned()
    }

    /// The product with this SKU in the shop.
    pub fn product_by_sku(&self, shop_id: u64, sku: &str) -> Option<Product> {
        let state = self.lock();
        state.registry.shops.get(&shop_id)?.product_by_sku(sku).cloned()
    }

    /// Current stock of a product.
    pub fn stock(&self, shop_id: u64, product_id: u64) -> Option<u32> {
        self.product(shop_id, product_id).map(|p| p.stock)
    }

    /// The shop's whole catalog in product-id order (empty if unknown).
    pub fn products(&self, shop_id: u64) -> Vec<Product> {
        let state = self.lock();
        state
            .registry
            .shops
            .get(&shop_id)
            .map(|s| s.products.clone())
            .unwrap_or_default()
    }

    /// The order moves on (the seller ships it, the buyer confirms it): its status becomes `status` now,
    /// in the order list and the single-order answer alike. False for an unknown shop or order.
    pub fn set_order_status(&self, shop_id: u64, order_id: u64, status: u32) -> bool {
        let mut state = self.lock();
        let Some(order) = state
            .registry
            .shops
            .get_mut(&shop_id)
            .and_then(|s| s.orders.iter_mut().find(|o| o.order_id == order_id))
        else {
            return false;
        };
        order.order_status = status;
        order.history.push((status, chrono::Utc::now().timestamp()));
        true
    }

    /// The shop's order history sorted by (create_time, order_id).
    pub fn orders(&self, shop_id: u64) -> Vec<Order> {
        let state = self.lock();
        state
            .registry
            .shops
            .get(&shop_id)
            .map(|s| s.orders.clone())
            .unwrap_or_default()
    }
}

//! The fleet's adaptive limit around each signed call ([`crate::marketplace::adaptive`]): TikTok Shop
//! publishes no limits, so every call of a shop's endpoint first books a slot at the rate the fleet has
//! learnt for (app, shop, endpoint), a 429 lowers that rate, and successes probe it upward again.
//!
//! Successes are reported only while the key's rate is known to be below the ceiling. At the ceiling a
//! report changes nothing, and reporting every answer would cost one Redis round trip per request. So the
//! client remembers, per key, the last rate Redis returned and when, and skips the report while that rate
//! is the ceiling and younger than a second ([`KNOWN_FOR`]). A key this process has not seen yet is
//! reported once to learn its rate. The age limit bounds how long this process misses a decrease another
//! pod made, and with it the successes it leaves uncounted: at most a second's worth.
//!
//! Redis trouble never stops a call: the client logs it and sends without the fleet's budget, with the
//! marketplace's 429 still coming back as [`ErrorClass::RateLimited`](super::ErrorClass::RateLimited).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::marketplace::adaptive::{AdaptiveKey, AdaptivePolicy, Adjustment};
use crate::marketplace::coordination::Coordination;
use crate::monitoring;

/// The shop part of the key of a call made for the app rather than one shop (the consent's shop list).
const APP_WIDE: &str = "app";

/// How long this process trusts that a key is at its ceiling and skips reporting its successes.
const KNOWN_FOR: Duration = Duration::from_secs(1);

/// Remembered rates beyond which entries older than [`KNOWN_FOR`] are dropped.
const KNOWN_RATES_PRUNE_AT: usize = 1024;

/// An endpoint of the API host, as the adaptive limit and the metrics name it: the path without its ids
/// and version, so every product's detail shares one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiEndpoint {
    AuthorizedShops,
    ProductSearch,
    ProductDetail,
    Warehouses,
    InventorySearch,
    InventoryUpdate,
    OrderSearch,
    OrderDetail,
}

impl ApiEndpoint {
    pub(crate) const ALL: [ApiEndpoint; 8] = [
        Self::AuthorizedShops,
        Self::ProductSearch,
        Self::ProductDetail,
        Self::Warehouses,
        Self::InventorySearch,
        Self::InventoryUpdate,
        Self::OrderSearch,
        Self::OrderDetail,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizedShops => "authorized-shops",
            Self::ProductSearch => "product-search",
            Self::ProductDetail => "product-detail",
            Self::Warehouses => "warehouses",
            Self::InventorySearch => "inventory-search",
            Self::InventoryUpdate => "inventory-update",
            Self::OrderSearch => "order-search",
            Self::OrderDetail => "order-detail",
        }
    }
}

/// The fleet's limit as one client (and its clones) uses it.
#[derive(Clone)]
pub(super) struct FleetLimit {
    coordination: Coordination,
    policy: AdaptivePolicy,
    /// Per key, the last rate Redis returned and when.
    known: Arc<Mutex<HashMap<AdaptiveKey, (f64, Instant)>>>,
}

impl FleetLimit {
    pub(super) fn new(coordination: Coordination, policy: AdaptivePolicy) -> Self {
        Self {
            coordination,
            policy,
            known: Arc::default(),
        }
    }

    /// The key of a call: the app, the shop (its cipher, stable per shop; app-wide calls share one key)
    /// and the endpoint.
    pub(super) fn key(app_key: &str, shop_cipher: Option<&str>, endpoint: ApiEndpoint) -> AdaptiveKey {
        let shop = shop_cipher.map_or_else(|| APP_WIDE.to_owned(), |cipher| cipher.replace(':', "_"));
        AdaptiveKey::new(app_key, shop, endpoint.as_str())
    }

    /// Waits for the key's next slot.
    pub(super) async fn wait(&self, key: &AdaptiveKey) {
        match self.coordination.reserve_adaptive(key, &self.policy).await {
            Ok(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
            Ok(_) => {}
            // Redis trouble must not stop syncs: send without the fleet's budget; a 429 still says stop.
            Err(e) => tracing::warn!(error.message = %e, "fleet rate limiter unavailable"),
        }
    }

    /// The marketplace refused a call of `key` as over its limit.
    pub(super) async fn throttled(&self, key: &AdaptiveKey, retry_after: Option<Duration>) {
        let reported = self.coordination.report_throttled(key, retry_after, &self.policy).await;
        self.learn(key, reported, "decrease");
    }

    /// The marketplace answered a call of `key`: probes the rate upward unless it is known to be at the
    /// ceiling (see the module docs).
    pub(super) async fn succeeded(&self, key: &AdaptiveKey) {
        if self.known_at_ceiling(key) {
            return;
        }
        let reported = self.coordination.report_success(key, &self.policy).await;
        self.learn(key, reported, "increase");
    }

    fn known_at_ceiling(&self, key: &AdaptiveKey) -> bool {
        let Ok(known) = self.known.lock() else { return false };
        known
            .get(key)
            .is_some_and(|&(rate, at)| self.at_ceiling(rate) && at.elapsed() < KNOWN_FOR)
    }

    fn at_ceiling(&self, rate: f64) -> bool {
        // Redis returns the rate as text: the ceiling comes back exactly, up to printing.
        rate >= self.policy.ceiling * (1.0 - 1e-9)
    }

    fn learn(&self, key: &AdaptiveKey, reported: redis::RedisResult<Adjustment>, direction: &'static str) {
        let adjustment = match reported {
            Ok(adjustment) => adjustment,
            Err(e) => {
                tracing::warn!(error.message = %e, "fleet rate limiter unavailable");
                return;
            }
        };
        if adjustment.changed {
            tracing::debug!(endpoint = %key.endpoint, rate = adjustment.rate_per_sec, direction, "adaptive rate");
            metrics::counter!(
                monitoring::ADAPTIVE_RATE_CHANGES,
                "endpoint" => key.endpoint.clone(),
                "direction" => direction
            )
            .increment(1);
        }
        let Ok(mut known) = self.known.lock() else { return };
        if known.len() >= KNOWN_RATES_PRUNE_AT {
            known.retain(|_, (_, at)| at.elapsed() < KNOWN_FOR);
        }
        known.insert(key.clone(), (adjustment.rate_per_sec, Instant::now()));
    }
}

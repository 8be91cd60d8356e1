//! Token buckets per (owner, endpoint): Tokopedia's gateway keeps one per
//! (app, endpoint), TikTok Shop's one per (app, shop, endpoint). Also the four
//! `X-Ratelimit-*` headers that describe a Tokopedia bucket.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::RateLimit;

/// A rate-limited marketplace endpoint. The token endpoint is not limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `GET /v1/shop/fs/{fs_id}/shop-info`
    ShopInfo,
    /// `GET /inventory/v1/fs/{fs_id}/product/info`
    ProductInfo,
    /// `POST /inventory/v1/fs/{fs_id}/stock/update` (each row costs one token)
    StockUpdate,
    /// `GET /v2/order/list`
    OrderList,
    /// `GET /v2/fs/{fs_id}/order`
    SingleOrder,
    /// `GET /v2/logistic/fs/{fs_id}/info`
    ShipmentInfo,
}

impl Endpoint {
    /// Every limited endpoint.
    pub const ALL: [Endpoint; 6] = [
        Endpoint::ShopInfo,
        Endpoint::ProductInfo,
        Endpoint::StockUpdate,
        Endpoint::OrderList,
        Endpoint::SingleOrder,
        Endpoint::ShipmentInfo,
    ];

    /// Name used in configs, stats and `/sim/rate-limit`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::ShopInfo => "shop-info",
            Endpoint::ProductInfo => "product-info",
            Endpoint::StockUpdate => "stock-update",
            Endpoint::OrderList => "order-list",
            Endpoint::SingleOrder => "single-order",
            Endpoint::ShipmentInfo => "shipment-info",
        }
    }

    /// Inverse of [`Endpoint::name`].
    pub fn from_name(name: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-endpoint limits of a config, keyed by endpoint name, for the endpoints
/// `from_name` knows; other names are logged and left out.
pub(crate) fn endpoint_overrides<E: Eq + Hash>(
    limits: &HashMap<String, RateLimit>,
    from_name: impl Fn(&str) -> Option<E>,
) -> HashMap<E, RateLimit> {
    let mut overrides = HashMap::new();
    for (name, limit) in limits {
        match from_name(name) {
            Some(endpoint) => {
                overrides.insert(endpoint, *limit);
            }
            None => tracing::warn!(endpoint = %name, "ignoring limit for unknown endpoint"),
        }
    }
    overrides
}

/// Slowest refill used when a configured rate is not a positive number.
const MIN_RATE: f64 = 0.001;

fn effective_rate(limit: RateLimit) -> f64 {
    if limit.rate_per_sec.is_finite() && limit.rate_per_sec > 0.0 {
        limit.rate_per_sec
    } else {
        MIN_RATE
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Self {
            tokens: f64::from(limit.burst),
            refilled_at: now,
        }
    }

    fn refill(&mut self, limit: RateLimit, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * effective_rate(limit)).min(f64::from(limit.burst));
        self.refilled_at = now;
    }
}

/// The state of one bucket as the response headers report it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RateHeaders {
    pub limit: RateLimit,
    pub remaining: u32,
    /// Seconds until one token is back; `None` while `remaining > 0`.
    pub reset_after: Option<f64>,
    /// Seconds until the bucket is full again.
    pub full_reset_after: f64,
}

impl RateHeaders {
    fn of(limit: RateLimit, tokens: f64) -> Self {
        let rate = effective_rate(limit);
        let remaining = tokens.floor().max(0.0) as u32;
        Self {
            limit,
            remaining,
            reset_after: (remaining == 0).then(|| (1.0 - tokens).max(0.0) / rate),
            full_reset_after: (f64::from(limit.burst) - tokens).max(0.0) / rate,
        }
    }

    /// `(name, value)` pairs in Tokopedia's format.
    pub fn pairs(&self) -> [(&'static str, String); 4] {
        [
            (
                "x-ratelimit-limit",
                format!("{} req/s (burst {})", self.limit.rate_per_sec, self.limit.burst),
            ),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            (
                "x-ratelimit-reset-after",
                match self.reset_after {
                    Some(secs) => format!("{secs:.6}"),
                    None => "-0.000000".to_owned(),
                },
            ),
            ("x-ratelimit-full-reset-after", format!("{:.6}", self.full_reset_after)),
        ]
    }
}

/// All buckets plus the configured limits. `K` names a bucket's owner (an
/// app, or an app and a shop), `E` the endpoint.
#[derive(Debug)]
pub(crate) struct RateLimiter<K, E = Endpoint> {
    default: RateLimit,
    overrides: HashMap<E, RateLimit>,
    buckets: HashMap<(K, E), Bucket>,
}

impl<K: Clone + Eq + Hash, E: Copy + Eq + Hash> RateLimiter<K, E> {
    pub fn new(default: RateLimit, overrides: HashMap<E, RateLimit>) -> Self {
        Self {
            default,
            overrides,
            buckets: HashMap::new(),
        }
    }

    /// The limit in force for `endpoint` (`None`: the default limit).
    pub fn limit(&self, endpoint: Option<E>) -> RateLimit {
        endpoint
            .and_then(|e| self.overrides.get(&e).copied())
            .unwrap_or(self.default)
    }

    /// Changes a limit. Affected buckets restart full, so a test that lowers a
    /// limit gets exactly `burst` calls before the first 429.
    pub fn set(&mut self, endpoint: Option<E>, limit: RateLimit) {
        match endpoint {
            Some(e) => {
                self.overrides.insert(e, limit);
                self.buckets.retain(|(_, be), _| *be != e);
            }
            None => {
                self.default = limit;
                let overrides = &self.overrides;
                self.buckets.retain(|(_, be), _| overrides.contains_key(be));
            }
        }
    }

    /// Takes up to `wanted` tokens from the bucket and returns how many it got.
    pub fn take(&mut self, owner: K, endpoint: E, wanted: u32, now: Instant) -> u32 {
        let limit = self.limit(Some(endpoint));
        let bucket = self
            .buckets
            .entry((owner, endpoint))
            .or_insert_with(|| Bucket::full(limit, now));
        bucket.refill(limit, now);
        let got = (bucket.tokens.floor().max(0.0) as u32).min(wanted);
        bucket.tokens -= f64::from(got);
        got
    }

    /// Header values for a bucket without taking from it. A bucket never
    /// used (or no app known yet) reports as full.
    pub fn peek(&self, owner: Option<&K>, endpoint: Option<E>, now: Instant) -> RateHeaders {
        let limit = self.limit(endpoint);
        let tokens = match (owner, endpoint) {
            (Some(owner), Some(e)) => self.buckets.get(&(owner.clone(), e)).map(|b| {
                let mut b = b.clone();
                b.refill(limit, now);
                b.tokens
            }),
            _ => None,
        };
        RateHeaders::of(limit, tokens.unwrap_or(f64::from(limit.burst)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limiter(rate: f64, burst: u32) -> RateLimiter<u64> {
        RateLimiter::new(
            RateLimit {
                rate_per_sec: rate,
                burst,
            },
            HashMap::new(),
        )
    }

    #[test]
    fn bucket_empties_and_refills() {
        let mut rl = limiter(5.0, 5);
        let t0 = Instant::now();
        assert_eq!(rl.take(1, Endpoint::ShopInfo, 3, t0), 3);
        assert_eq!(rl.take(1, Endpoint::ShopInfo, 3, t0), 2);
        assert_eq!(rl.take(1, Endpoint::ShopInfo, 1, t0), 0);
        // Other apps and endpoints have their own buckets.
        assert_eq!(rl.take(2, Endpoint::ShopInfo, 1, t0), 1);
        assert_eq!(rl.take(1, Endpoint::OrderList, 1, t0), 1);
        let later = t0 + Duration::from_millis(400);
        assert_eq!(rl.take(1, Endpoint::ShopInfo, 5, later), 2);
    }

    #[test]
    fn headers_follow_tokopedia_format() {
        let mut rl = limiter(5.0, 5);
        let t0 = Instant::now();
        rl.take(1, Endpoint::ShopInfo, 2, t0);
        let pairs = rl.peek(Some(&1), Some(Endpoint::ShopInfo), t0).pairs();
        assert_eq!(pairs[0].1, "5 req/s (burst 5)");
        assert_eq!(pairs[1].1, "3");
        assert_eq!(pairs[2].1, "-0.000000");
        assert_eq!(pairs[3].1, "0.400000");
        rl.take(1, Endpoint::ShopInfo, 3, t0);
        let pairs = rl.peek(Some(&1), Some(Endpoint::ShopInfo), t0).pairs();
        assert_eq!(pairs[1].1, "0");
        assert_eq!(pairs[2].1, "0.200000");
        assert_eq!(pairs[3].1, "1.000000");
    }

    #[test]
    fn changing_a_limit_restarts_its_buckets() {
        let mut rl = limiter(5.0, 5);
        let t0 = Instant::now();
        rl.take(1, Endpoint::OrderList, 5, t0);
        let two = RateLimit {
            rate_per_sec: 1.0,
            burst: 2,
        };
        rl.set(Some(Endpoint::OrderList), two);
        assert_eq!(rl.take(1, Endpoint::OrderList, 5, t0), 2);
        assert_eq!(Endpoint::from_name("order-list"), Some(Endpoint::OrderList));
    }
}

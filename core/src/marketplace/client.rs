//! The Tokopedia HTTP client used in production; tests and the demo point it at `sim/`.
//!
//! It obtains and caches one token per app (client id), re-requests it once on a 401, waits for the
//! marketplace's `X-Ratelimit-Reset-After` on a 429 (there is no `Retry-After`), spaces requests per
//! (app, endpoint) inside this process, pages until a short page, and cuts order history into windows
//! shorter than the marketplace's 3-day limit.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::Arc,
    time::{Duration, Instant},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::coordination::{Coordination, Limit};
use super::endpoint::Endpoint;
use super::envelope::{decode, decode_bulk};
use super::error::MarketplaceError;
use super::types::{BulkUpdateResult, Order, Product, ShipmentInfo, ShopInfo, StockUpdateRow, WithRaw};
use crate::config::MarketplaceSettings;
use crate::monitoring;

mod limits;
mod tokens;

pub(crate) use limits::configured_limits;

/// Largest page the product list accepts.
pub const PRODUCTS_PER_PAGE: u32 = 50;
/// Largest page the order list accepts.
pub const ORDERS_PER_PAGE: u32 = 100;
/// The order list refuses ranges of 3 days or more (`ORD_DLV_013`); stay one minute below.
pub const MAX_ORDER_WINDOW_SECS: i64 = 3 * 24 * 3600 - 60;
/// Renew a cached token this long before the marketplace says it expires.
const TOKEN_RENEW_MARGIN: Duration = Duration::from_secs(60);

/// An app's credentials (one app can serve many shops).
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub fs_id: u64,
    pub client_id: String,
    pub client_secret: SecretString,
}

struct CachedToken {
    token: SecretString,
    renew_at: Instant,
}

/// Cheap to clone; clones share the token cache and the limiter.
#[derive(Clone)]
pub struct TokopediaClient {
    http: reqwest::Client,
    base_url: String,
    auth_url: String,
    max_rate_limit_retries: u32,
    retry: backon::ExponentialBuilder,
    tokens: Arc<Mutex<HashMap<String, CachedToken>>>,
    limiter: Arc<DefaultKeyedRateLimiter<(u64, Endpoint)>>,
    /// Shared with the other workers through Redis; `None` limits this process only.
    coordination: Option<Coordination>,
    /// Configured limits per endpoint, replaced per app by what the marketplace announces.
    configured: Arc<HashMap<Endpoint, Limit>>,
    learned: Arc<std::sync::Mutex<HashMap<(u64, Endpoint), Limit>>>,
    headroom: f64,
}

impl TokopediaClient {
    /// A client for `settings`, which `Validate` has checked (`Application::build` does).
    pub fn new(settings: &MarketplaceSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("ocean-sync/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let rate = NonZeroU32::new(settings.rate_per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            http,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            auth_url: settings.auth_url.clone(),
            max_rate_limit_retries: settings.max_rate_limit_retries,
            retry: backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(settings.retries)
                .with_jitter(),
            tokens: Arc::default(),
            limiter: Arc::new(RateLimiter::keyed(Quota::per_second(rate))),
            coordination: None,
            configured: Arc::new(configured_limits(settings)?),
            learned: Arc::default(),
            headroom: settings.headroom,
        })
    }

    /// Shares request budgets and tokens with every other process using the same `coordination`.
    pub fn with_coordination(mut self, coordination: Coordination) -> Self {
        self.coordination = Some(coordination);
        self
    }

    /// Shops linked to the app, optionally only `shop_id`.
    pub async fn shop_info(&self, app: &AppCredentials, shop_id: u64) -> Result<Vec<ShopInfo>, MarketplaceError> {
        let url = format!("{}/v1/shop/fs/{}/shop-info", self.base_url, app.fs_id);
        self.get(app, Endpoint::ShopInfo, &url, &[("shop_id", shop_id.to_string())])
            .await
    }

    /// One page (1-based) of the shop's products.
    pub async fn products_page(
        &self,
        app: &AppCredentials,
        shop_id: u64,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<WithRaw<Product>>, MarketplaceError> {
        let url = format!("{}/inventory/v1/fs/{}/product/info", self.base_url, app.fs_id);
        let query = [
            ("shop_id", shop_id.to_string()),
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
        ];
        self.get(app, Endpoint::ProductInfo, &url, &query).await
    }

    /// Every product of the shop: pages until a short page (the list has no total or cursor).
    pub async fn all_products(
        &self,
        app: &AppCredentials,
        shop_id: u64,
    ) -> Result<Vec<WithRaw<Product>>, MarketplaceError> {
        let mut all = Vec::new();
        for page in 1.. {
            let items = self.products_page(app, shop_id, page, PRODUCTS_PER_PAGE).await?;
            let short = is_last_page(items.len(), PRODUCTS_PER_PAGE);
            all.extend(items);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// One page of orders created in `[from, to]` (unix seconds; the range must be under 3 days).
    pub async fn orders_page(
        &self,
        app: &AppCredentials,
        shop_id: u64,
        (from, to): (i64, i64),
        page: u32,
    ) -> Result<Vec<WithRaw<Order>>, MarketplaceError> {
        let url = format!("{}/v2/order/list", self.base_url);
        let query = [
            ("fs_id", app.fs_id.to_string()),
            ("shop_id", shop_id.to_string()),
            ("from_date", from.to_string()),
            ("to_date", to.to_string()),
            ("page", page.to_string()),
            ("per_page", ORDERS_PER_PAGE.to_string()),
        ];
        self.get(app, Endpoint::OrderList, &url, &query).await
    }

    /// Every order of one window (pages until a short page).
    pub async fn window_orders(
        &self,
        app: &AppCredentials,
        shop_id: u64,
        window: (i64, i64),
    ) -> Result<Vec<WithRaw<Order>>, MarketplaceError> {
        let mut all = Vec::new();
        for page in 1.. {
            let items = self.orders_page(app, shop_id, window, page).await?;
            let short = is_last_page(items.len(), ORDERS_PER_PAGE);
            all.extend(items);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// Couriers available to the shop.
    pub async fn shipment_info(
        &self,
        app: &AppCredentials,
        shop_id: u64,
    ) -> Result<Vec<ShipmentInfo>, MarketplaceError> {
        let url = format!("{}/v2/logistic/fs/{}/info", self.base_url, app.fs_id);
        self.get(app, Endpoint::ShipmentInfo, &url, &[("shop_id", shop_id.to_string())])
            .await
    }

    /// Overwrites stock levels (at most 100 rows per call); refused rows come back as
    /// [`MarketplaceError::PartialFailure`].
    pub async fn update_stock(
        &self,
        app: &AppCredentials,
        shop_id: u64,
        rows: &[StockUpdateRow],
    ) -> Result<BulkUpdateResult, MarketplaceError> {
        let url = format!("{}/inventory/v1/fs/{}/stock/update", self.base_url, app.fs_id);
        // Every row counts as one request against the bucket; `send` books the first.
        for _ in 1..rows.len() {
            self.wait_for_budget(app.fs_id, Endpoint::StockUpdate).await;
        }
        let attempt = || async {
            let (status, body) = self
                .send(app, Endpoint::StockUpdate, |http, token| {
                    http.post(&url)
                        .query(&[("shop_id", shop_id)])
                        .bearer_auth(token)
                        .json(rows)
                })
                .await?;
            decode_bulk(status, &body)
        };
        self.retrying(Endpoint::StockUpdate, attempt).await
    }

    async fn get<T: DeserializeOwned + Default>(
        &self,
        app: &AppCredentials,
        endpoint: Endpoint,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<T, MarketplaceError> {
        let attempt = || async {
            let (status, body) = self
                .send(app, endpoint, |http, token| {
                    http.get(url).query(query).bearer_auth(token)
                })
                .await?;
            Ok(decode(status, &body)?.unwrap_or_default())
        };
        self.retrying(endpoint, attempt).await
    }

    /// Retries what failed for a passing reason (timeouts, connection errors, upstream 5xx) with exponential
    /// backoff and jitter. 429s are waited out inside `send`; permanent errors return at once.
    async fn retrying<T, Fut>(&self, endpoint: Endpoint, attempt: impl FnMut() -> Fut) -> Result<T, MarketplaceError>
    where
        Fut: Future<Output = Result<T, MarketplaceError>>,
    {
        use backon::Retryable;
        attempt
            .retry(self.retry)
            .when(|e: &MarketplaceError| e.is_transient() && !matches!(e, MarketplaceError::RateLimited { .. }))
            .notify(|e, wait| {
                metrics::counter!(monitoring::MARKETPLACE_RETRIES, "endpoint" => endpoint.as_str()).increment(1);
                tracing::debug!(endpoint = endpoint.as_str(), error.message = %e, ?wait, "retrying");
            })
            .await
    }

    /// Sends one request with rate limiting, 429 waits and one token renewal on 401.
    async fn send(
        &self,
        app: &AppCredentials,
        endpoint: Endpoint,
        build: impl Fn(&reqwest::Client, &str) -> RequestBuilder,
    ) -> Result<(u16, bytes::Bytes), MarketplaceError> {
        let mut renewed_token = false;
        let mut rate_limited = 0;
        loop {
            self.wait_for_budget(app.fs_id, endpoint).await;
            let token = self.token(app).await?;
            let sent = Instant::now();
            let response = build(&self.http, token.expose_secret()).send().await?;
            let status = response.status();
            metrics::histogram!(monitoring::MARKETPLACE_DURATION, "endpoint" => endpoint.as_str())
                .record(sent.elapsed().as_secs_f64());
            metrics::counter!(monitoring::MARKETPLACE_REQUESTS, "endpoint" => endpoint.as_str(), "status" => status.as_str().to_owned())
                .increment(1);
            self.learn_limit(app.fs_id, endpoint, response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                metrics::counter!(monitoring::MARKETPLACE_RATE_LIMITED, "endpoint" => endpoint.as_str()).increment(1);
                let (reset_after, full_reset_after) = rate_limit_waits(response.headers());
                rate_limited += 1;
                if rate_limited > self.max_rate_limit_retries {
                    return Err(MarketplaceError::RateLimited {
                        reset_after,
                        full_reset_after,
                    });
                }
                tracing::debug!(endpoint = endpoint.as_str(), wait = ?reset_after, "marketplace rate limit hit");
                tokio::time::sleep(reset_after).await;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                self.tokens.lock().await.remove(&app.client_id);
                if let Some(coordination) = &self.coordination
                    && let Err(e) = coordination.forget_token(&app.client_id).await
                {
                    tracing::warn!(error.message = %e, "could not drop the shared token");
                }
                if renewed_token {
                    return Err(MarketplaceError::Unauthorized);
                }
                renewed_token = true;
                continue;
            }
            return Ok((status.as_u16(), response.bytes().await?));
        }
    }
}

/// A page shorter than asked for is the last one (the marketplace sends no total).
pub fn is_last_page(len: usize, per_page: u32) -> bool {
    len < per_page as usize
}

/// Cuts `[from, to]` into consecutive windows each shorter than the order list's 3-day limit.
pub fn order_windows(from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut windows = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + MAX_ORDER_WINDOW_SECS).min(to);
        windows.push((start, end));
        start = end;
    }
    windows
}

/// `X-Ratelimit-Reset-After` (next single request) and `X-Ratelimit-Full-Reset-After` (full bucket).
/// The marketplace writes `-0.000000` while tokens remain; a missing or negative value waits a little.
fn rate_limit_waits(headers: &HeaderMap) -> (Duration, Duration) {
    let secs = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(Duration::from_secs_f64)
    };
    let full = secs("x-ratelimit-full-reset-after");
    let next = secs("x-ratelimit-reset-after")
        .or(full)
        .unwrap_or(Duration::from_millis(200));
    (next, full.unwrap_or(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_and_stay_under_three_days() {
        let from = 1_700_000_000;
        let to = from + 30 * 24 * 3600 + 17;
        let windows = order_windows(from, to);
        assert_eq!(windows.first().unwrap().0, from);
        assert_eq!(windows.last().unwrap().1, to);
        for pair in windows.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "windows must be contiguous");
        }
        assert!(windows.iter().all(|(a, b)| b - a < 3 * 24 * 3600 && b > a));
        assert!(order_windows(to, from).is_empty());
    }

    #[test]
    fn rate_limit_headers_give_the_waits() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset-after", "0.250000".parse().unwrap());
        h.insert("x-ratelimit-full-reset-after", "1.000000".parse().unwrap());
        assert_eq!(
            rate_limit_waits(&h),
            (Duration::from_millis(250), Duration::from_secs(1))
        );
        h.insert("x-ratelimit-reset-after", "-0.000000".parse().unwrap());
        assert_eq!(rate_limit_waits(&h).0, Duration::from_secs(1));
    }
}

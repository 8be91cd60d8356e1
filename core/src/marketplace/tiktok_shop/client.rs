//! The TikTok Shop HTTP client. It signs every call to the API host, retries passing failures
//! ([`ErrorClass::Transient`]) with backoff, follows page cursors, and leaves the rest to the caller:
//! an expired token or a revoked authorization comes back as a classified error, since refreshing and
//! asking the seller to consent again need state this client does not hold. With the fleet's shared
//! state ([`TikTokShopClient::with_coordination`]) every call also keeps to the adaptive limit of its
//! (app, shop, endpoint) and a refusal as over the limit is sent again after the limit's wait, up to
//! `OCEAN_TIKTOK_SHOP_MAX_429_RETRIES` times; without it a rate limit goes to the caller at once.
//!
//! Secrets stay out of logs and errors: the access token travels in a header marked sensitive, the
//! app secret only inside signatures and the token URLs, and transport errors are stripped of URLs.

use std::time::Duration;

use chrono::Utc;
use reqwest::{
    Method, RequestBuilder, Url,
    header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, de::DeserializeOwned};

use super::envelope::decode;
use super::error::{ErrorClass, TikTokShopError};
use super::settings::TikTokShopSettings;
use super::sign::sign_request;
use super::types::{Order, OrderPage, Product, ProductPage};
use crate::marketplace::adaptive::{AdaptiveKey, AdaptivePolicy};
use crate::marketplace::coordination::Coordination;
use crate::marketplace::types::WithRaw;
pub(crate) use limits::ApiEndpoint;
use limits::FleetLimit;

mod auth;
mod limits;
mod orders;
mod products;

/// Largest page the product and order searches accept.
pub const PAGE_SIZE: u32 = 100;

const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
const JSON: &str = "application/json";

/// What a call needs to act for one shop: its access token and its cipher. Both come from the
/// seller's consent; the token is renewed before its expiry, the cipher stays.
#[derive(Debug, Clone)]
pub struct ShopAuthorization {
    pub access_token: SecretString,
    /// `cipher` of the shop in `GET /authorization/202309/shops`.
    pub shop_cipher: String,
}

/// First wait before resending a call refused without `Retry-After`; it doubles with each refusal (0.5 s,
/// 1 s, 2 s, 4 s, 8 s: about 15 s over the default five retries).
const REFUSAL_BACKOFF: Duration = Duration::from_millis(500);

/// Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct TikTokShopClient {
    http: reqwest::Client,
    api_base_url: String,
    auth_base_url: String,
    app_key: String,
    app_secret: SecretString,
    order_detail_batch: usize,
    retry: backon::ExponentialBuilder,
    adaptive_policy: AdaptivePolicy,
    max_429_retries: u32,
    fleet: Option<FleetLimit>,
}

/// One call to the API host, before it is signed.
#[derive(Debug, Clone)]
struct ApiCall {
    method: Method,
    /// What the call's rate is limited as: the path without its ids.
    endpoint: ApiEndpoint,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl ApiCall {
    fn get(endpoint: ApiEndpoint, path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            endpoint,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    fn post_json(
        endpoint: ApiEndpoint,
        path: impl Into<String>,
        body: &impl Serialize,
    ) -> Result<Self, TikTokShopError> {
        let body = serde_json::to_vec(body).map_err(|e| TikTokShopError::InvalidRequest(e.to_string()))?;
        Ok(Self {
            method: Method::POST,
            body: Some(body),
            ..Self::get(endpoint, path)
        })
    }

    fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Cursor paging: `page_size` and, past the first page, `page_token` (in the query, even on POST).
    fn paged(self, cursor: Option<&str>) -> Self {
        let call = self.with("page_size", PAGE_SIZE.to_string());
        match cursor {
            Some(token) => call.with("page_token", token),
            None => call,
        }
    }
}

impl TikTokShopClient {
    /// A client for `settings`, which must name an app (key and secret) and pass `Validate`.
    pub fn new(settings: &TikTokShopSettings) -> anyhow::Result<Self> {
        anyhow::ensure!(
            settings.has_app(),
            "TikTok Shop needs OCEAN_TIKTOK_SHOP_APP_KEY and OCEAN_TIKTOK_SHOP_APP_SECRET"
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("ocean-sync/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            api_base_url: settings.api_base_url.trim_end_matches('/').to_owned(),
            auth_base_url: settings.auth_base_url.trim_end_matches('/').to_owned(),
            app_key: settings.app_key.trim().to_owned(),
            app_secret: settings.app_secret.clone(),
            order_detail_batch: settings.order_detail_batch.max(1),
            retry: backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(settings.retries)
                .with_jitter(),
            adaptive_policy: settings.adaptive.policy(),
            max_429_retries: settings.max_429_retries,
            fleet: None,
        })
    }

    /// Keeps every signed call to the fleet's adaptive limit of its (app, shop, endpoint), shared through
    /// `coordination` with every other process, and sends a call refused as over the limit again after
    /// the limit's wait (up to the configured number of times). The token endpoints are not limited.
    pub fn with_coordination(mut self, coordination: Coordination) -> Self {
        self.fleet = Some(FleetLimit::new(coordination, self.adaptive_policy));
        self
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// Whether a webhook's `Authorization` header signs its raw body for this app; see
    /// [`verify_webhook`](super::sign::verify_webhook).
    pub fn verify_webhook(&self, raw_body: &[u8], authorization: &str) -> bool {
        super::sign::verify_webhook(&self.app_key, &self.app_secret, raw_body, authorization)
    }

    /// Sends `call` for `shop` and decodes its `data` as `T`.
    async fn shop_call<T: DeserializeOwned>(
        &self,
        call: &ApiCall,
        shop: &ShopAuthorization,
    ) -> Result<T, TikTokShopError> {
        self.call(call, &shop.access_token, Some(&shop.shop_cipher), decode::<T>)
            .await
    }

    /// Signs and sends `call`, reads the answer with `read`, and retries transient failures; with the
    /// fleet's limit, also refusals as over the limit (see [`Self::with_coordination`]). Every attempt
    /// waits for its slot and is signed afresh, so a retry never carries a stale `timestamp`.
    #[tracing::instrument(name = "tiktok_shop.call", skip_all, fields(method = %call.method, path = %call.path))]
    async fn call<T>(
        &self,
        call: &ApiCall,
        access_token: &SecretString,
        shop_cipher: Option<&str>,
        read: fn(u16, &[u8]) -> Result<T, TikTokShopError>,
    ) -> Result<T, TikTokShopError> {
        let Some(fleet) = &self.fleet else {
            return self.attempts(call, access_token, shop_cipher, read, None).await;
        };
        let key = FleetLimit::key(&self.app_key, shop_cipher, call.endpoint);
        let mut refusals = 0;
        loop {
            let result = self
                .attempts(call, access_token, shop_cipher, read, Some((fleet, &key)))
                .await;
            match &result {
                Ok(_) => fleet.succeeded(&key).await,
                Err(e) if e.class() == ErrorClass::RateLimited => {
                    fleet.throttled(&key, e.retry_after()).await;
                    if refusals < self.max_429_retries {
                        refusals += 1;
                        tracing::debug!(error.message = %e, refusals, "over the limit, sending again");
                        // With `Retry-After` the fleet holds the key until then. Without it, the rate is cut
                        // once per cooldown, so back off too: retries spaced only by the lowered rate would
                        // all land inside the marketplace's refusal.
                        if e.retry_after().is_none() {
                            tokio::time::sleep(REFUSAL_BACKOFF * 2u32.pow(refusals.min(5) - 1)).await;
                        }
                        continue;
                    }
                }
                Err(_) => {}
            }
            return result;
        }
    }

    /// Sends `call` until it succeeds or fails for other than a passing reason, each attempt in a slot of
    /// the fleet's limit when given.
    async fn attempts<T>(
        &self,
        call: &ApiCall,
        access_token: &SecretString,
        shop_cipher: Option<&str>,
        read: fn(u16, &[u8]) -> Result<T, TikTokShopError>,
        limit: Option<(&FleetLimit, &AdaptiveKey)>,
    ) -> Result<T, TikTokShopError> {
        use backon::Retryable;
        let attempt = || async {
            if let Some((fleet, key)) = limit {
                fleet.wait(key).await;
            }
            let request = self.signed(call, access_token, shop_cipher, Utc::now().timestamp())?;
            let (status, retry_after, body) = self.send(request, &call.path).await?;
            read(status, &body).map_err(|e| e.with_retry_after(retry_after))
        };
        attempt
            .retry(self.retry)
            .when(|e: &TikTokShopError| e.class() == ErrorClass::Transient)
            .notify(|e, wait| tracing::debug!(error.message = %e, ?wait, "retrying"))
            .await
    }

    /// The signed request for `call`: `app_key`, `timestamp`, the shop's `shop_cipher` where the path
    /// takes one, `sign` over all of them plus the path and body, and the token in `x-tts-access-token`
    /// (unsigned).
    fn signed(
        &self,
        call: &ApiCall,
        access_token: &SecretString,
        shop_cipher: Option<&str>,
        timestamp: i64,
    ) -> Result<RequestBuilder, TikTokShopError> {
        let mut params = call.query.clone();
        params.push(("app_key", self.app_key.clone()));
        params.push(("timestamp", timestamp.to_string()));
        if let Some(cipher) = shop_cipher.filter(|_| takes_shop_cipher(&call.path)) {
            params.push(("shop_cipher", cipher.to_owned()));
        }
        let content_type = call.body.as_ref().map(|_| JSON);
        let sign = sign_request(
            &self.app_secret,
            &call.path,
            &params,
            call.body.as_deref(),
            content_type,
        );
        let mut url = join(&self.api_base_url, &call.path)?;
        url.query_pairs_mut().extend_pairs(&params).append_pair("sign", &sign);
        let mut token = HeaderValue::from_str(access_token.expose_secret())
            .map_err(|_| TikTokShopError::InvalidRequest("the access token is not a valid header value".into()))?;
        token.set_sensitive(true);
        let request = self
            .http
            .request(call.method.clone(), url)
            .header(ACCESS_TOKEN_HEADER, token);
        Ok(match (&call.body, content_type) {
            (Some(body), Some(content_type)) => request.header(CONTENT_TYPE, content_type).body(body.clone()),
            _ => request,
        })
    }

    /// Sends one request; the status, the `Retry-After` wait and the body, whatever the status.
    async fn send(
        &self,
        request: RequestBuilder,
        path: &str,
    ) -> Result<(u16, Option<Duration>, bytes::Bytes), TikTokShopError> {
        let response = request.send().await.map_err(|e| transport_error(e, path))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| transport_error(e, path))?;
        Ok((status, retry_after, body))
    }
}

/// `shop_cipher` is refused by `/authorization/*` and `/seller/*` (`36009004` "Unexpected identifier").
fn takes_shop_cipher(path: &str) -> bool {
    !(path.starts_with("/authorization/") || path.starts_with("/seller/"))
}

/// An id to put into a path or an `ids` list: the API's ids are digits, so anything beyond letters,
/// digits, `-` and `_` is refused rather than encoded (the path is signed as sent).
fn plain_id(id: &str) -> Result<&str, TikTokShopError> {
    let plain = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain
        .then_some(id)
        .ok_or_else(|| TikTokShopError::InvalidRequest(format!("`{id}` is not an id")))
}

fn join(base_url: &str, path: &str) -> Result<Url, TikTokShopError> {
    Url::parse(&format!("{base_url}{path}"))
        .map_err(|e| TikTokShopError::InvalidRequest(format!("base URL and path do not form a URL: {e}")))
}

/// reqwest prints the URL in its errors, and the token URL carries the app secret: errors keep only
/// what failed and the path.
fn transport_error(e: reqwest::Error, path: &str) -> TikTokShopError {
    let e = e.without_url();
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else {
        "request failed"
    };
    TikTokShopError::Transport(format!("{what} ({path})"))
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the API).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A page of a cursor-paged search.
trait Page {
    type Item;
    /// The page's items and the cursor of the next page (`None` on the last page).
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

impl Page for ProductPage {
    type Item = WithRaw<Product>;
    fn into_parts(self) -> (Vec<WithRaw<Product>>, Option<String>) {
        let next = self.next_cursor().map(str::to_owned);
        (self.products, next)
    }
}

impl Page for OrderPage {
    type Item = WithRaw<Order>;
    fn into_parts(self) -> (Vec<WithRaw<Order>>, Option<String>) {
        let next = self.next_cursor().map(str::to_owned);
        (self.orders, next)
    }
}

/// Follows cursors until a page has none. A cursor that repeats would loop forever, so it is an error.
async fn collect_pages<P, Fut>(mut fetch: impl FnMut(Option<String>) -> Fut) -> Result<Vec<P::Item>, TikTokShopError>
where
    P: Page,
    Fut: Future<Output = Result<P, TikTokShopError>>,
{
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (items, next) = fetch(cursor.clone()).await?.into_parts();
        all.extend(items);
        match next {
            None => return Ok(all),
            Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                return Err(TikTokShopError::Decode("the page cursor did not advance".into()));
            }
            next => cursor = next,
        }
    }
}

#[cfg(test)]
mod tests;

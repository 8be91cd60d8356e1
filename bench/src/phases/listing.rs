//! Account list at fleet size: what the account list costs when the web console polls it every 2 s per open
//! page. A fleet of tokopedia accounts with synced products, 30 days of orders and a day of sync logs is
//! written with set-based `INSERT … SELECT generate_series` (the `raw` JSON is the simulator's own, so rows
//! are as wide as synced ones), then the real api serves in this process on 127.0.0.1 and is asked, after a
//! warm-up, for the account list (`/api`, bearer token), the console's live fragment (polled as the console's
//! script polls it, with the ETag of the last answer) and the console dashboard (session cookie), one
//! request at a time; then the live fragment by several clients at once.

mod fill;

use std::time::{Duration, Instant};

use anyhow::Context;
use ocean_sim::ShopConfig;
use reqwest::{StatusCode, header};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{cli::Settings, harness::Phase, seed};

/// The console's page size (and the `/api` default).
const PER_PAGE: usize = 50;
/// The console's live refresh interval.
const POLL_SECS: f64 = 2.0;
/// Untimed requests per endpoint before measuring (connections, plans and caches warm).
const WARM_UP: usize = 3;
/// Sync logs cover the last day at the accounts' interval.
const SYNC_INTERVAL_MINUTES: i64 = 15;
const LOG_DAYS_MINUTES: i64 = 24 * 60;

const API_LIST: &str = "/api/integrations/tokopedia/accounts?page=1&per_page=50";
const LIVE: &str = "/integrations/tokopedia/accounts/live?page=1";
const DASHBOARD: &str = "/integrations/tokopedia/dashboard";

/// Latency and rate of one endpoint asked by one client, one request after another.
#[derive(Debug, Clone, Serialize)]
pub struct Sequential {
    pub path: &'static str,
    /// Timed requests: `--listing-requests`, fewer when the endpoint's time budget ran out first.
    pub requests: usize,
    /// Answered 304 (the live fragment unchanged since the ETag the client sent).
    pub not_modified: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub per_sec: f64,
    /// Size of one answer's body.
    pub body_bytes: usize,
}

/// The live fragment asked by several clients at once for a while.
#[derive(Debug, Clone, Serialize)]
pub struct Concurrent {
    pub path: &'static str,
    pub clients: usize,
    pub secs: f64,
    pub requests: usize,
    /// Answered 304.
    pub not_modified: usize,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// Open console pages this rate serves, each polling every [`POLL_SECS`].
    pub open_pages: f64,
}

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct ListingResult {
    pub accounts: usize,
    pub products_per_account: usize,
    pub orders_per_account: usize,
    pub products: i64,
    pub orders: i64,
    /// Sync attempts of the last 24 hours (the dashboard's chart reads them).
    pub sync_logs: i64,
    /// Mean size of a product's / order's `raw` JSON, in bytes (the simulator's).
    pub product_raw_bytes: usize,
    pub order_raw_bytes: usize,
    /// Size of the products and orders tables with their indexes and TOAST, in MiB.
    pub data_mib: f64,
    /// Writing and analyzing that data.
    pub fill_secs: f64,
    pub per_page: usize,
    pub warm_up: usize,
    /// Longest the timed requests of one endpoint may take together.
    pub budget_secs: u64,
    /// The api's pool (its default, or `OCEAN_DB_MAX_CONNECTIONS`).
    pub api_db_connections: u32,
    pub poll_secs: f64,
    pub api_list: Sequential,
    pub live: Sequential,
    pub dashboard: Sequential,
    pub live_concurrent: Concurrent,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<ListingResult> {
    let pool = &phase.pool;
    let (accounts, per_products, per_orders) = (
        settings.listing_accounts,
        settings.listing_products,
        settings.listing_orders,
    );

    // The simulator serves the raw JSON the rows carry, and answers the api's connection tests.
    let shop = ShopConfig {
        products: 20,
        orders: 40,
        order_days: 30,
        ..ShopConfig::default()
    };
    let app = seed::one_app(1, 77_001, shop);
    // Serves until the end of the phase.
    let (_sim, market) = seed::unthrottled_sim(&app).await?;
    let (product_raws, order_raws) = fill::raw_samples(&market, &app).await?;
    let mean = |raws: &[Value]| raws.iter().map(|r| r.to_string().len()).sum::<usize>() / raws.len().max(1);
    let (product_raw_bytes, order_raw_bytes) = (mean(&product_raws), mean(&order_raws));

    let started = Instant::now();
    fill::fill(pool, accounts, per_products, per_orders, &product_raws, &order_raws).await?;
    let fill_secs = started.elapsed().as_secs_f64();
    let (products, orders, sync_logs, data_bytes): (i64, i64, i64, i64) = sqlx::query_as(
        r#"SELECT (SELECT count(*) FROM marketplace_products), (SELECT count(*) FROM marketplace_orders),
                  (SELECT count(*) FROM integration_logs WHERE kind = 'sync'),
                  pg_total_relation_size('marketplace_products') + pg_total_relation_size('marketplace_orders')"#,
    )
    .fetch_one(pool)
    .await
    .context("Failed to count the fleet's rows")?;
    anyhow::ensure!(
        products == (accounts * per_products) as i64 && orders == (accounts * per_orders) as i64,
        "wrote {products} products and {orders} orders, expected {} and {}",
        accounts * per_products,
        accounts * per_orders
    );

    // The api as `ocean-api serve` builds it, with its documented defaults (its pool's size among them).
    let token = format!("bench-admin-{}", uuid::Uuid::new_v4().simple());
    let mut api_settings = api_defaults()?;
    api_settings.api.addr = "127.0.0.1:0".into();
    api_settings.api.admin_token = Some(SecretString::from(token.clone()));
    api_settings.database.database_url = SecretString::from(phase.database_url.clone());
    api_settings.redis = phase.redis_settings("sync");
    api_settings.marketplace = market;
    let api_db_connections = api_settings.database.max_connections;
    let api = ocean_api::Application::build(api_settings).await?;
    let api_pool = api.state().pool.clone();
    let base = format!("http://{}", api.address());
    let stop = CancellationToken::new();
    let _stop_api = stop.clone().drop_guard();
    tokio::spawn(api.run_until(async move { stop.cancelled().await }));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("Failed to build the HTTP client")?;
    let cookie = sign_in(&http, &base, &token).await?;
    let bearer = Auth::Bearer(format!("Bearer {token}"));
    let (page, poll) = (Auth::Page(cookie.clone()), Auth::Poll(cookie));
    let shown = accounts.min(PER_PAGE);

    let n = settings.listing_requests;
    let budget = Duration::from_secs(settings.listing_budget_secs);
    let api_list = sequential(&http, &base, API_LIST, &bearer, n, budget, |body| {
        let json: Value = serde_json::from_str(body).context("the account list is not JSON")?;
        let listed = json["data"]["accounts"].as_array().map_or(0, Vec::len);
        let total = json["data"]["summary"]["total_accounts"].as_i64();
        anyhow::ensure!(
            listed == shown && total == Some(accounts as i64),
            "the account list shows {listed} accounts of {total:?}, expected {shown} of {accounts}"
        );
        Ok(())
    })
    .await?;
    let cards = |what: &'static str| {
        move |body: &str| {
            let found = body.matches("data-account-id=").count();
            anyhow::ensure!(found == shown, "the {what} shows {found} accounts, expected {shown}");
            Ok(())
        }
    };
    let live = sequential(&http, &base, LIVE, &poll, n, budget, cards("live fragment")).await?;
    let dashboard = sequential(&http, &base, DASHBOARD, &page, n, budget, cards("dashboard")).await?;
    let live_concurrent = concurrent(
        &http,
        &base,
        LIVE,
        &poll,
        settings.listing_clients,
        Duration::from_secs(settings.listing_secs),
    )
    .await?;
    api_pool.close().await;

    Ok(ListingResult {
        accounts,
        products_per_account: per_products,
        orders_per_account: per_orders,
        products,
        orders,
        sync_logs,
        product_raw_bytes,
        order_raw_bytes,
        data_mib: data_bytes as f64 / (1024.0 * 1024.0),
        fill_secs,
        per_page: PER_PAGE,
        warm_up: WARM_UP,
        budget_secs: settings.listing_budget_secs,
        api_db_connections,
        poll_secs: POLL_SECS,
        api_list,
        live,
        dashboard,
        live_concurrent,
    })
}

/// The api's database settings at their defaults (those of `ocean-api serve`), on the phase's database.
/// The settings of `ocean-api serve` with nothing set but a fresh keyring.
fn api_defaults() -> anyhow::Result<ocean_api::Settings> {
    use secrecy::ExposeSecret;
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        settings: ocean_api::Settings,
    }
    let keys = ocean_testkit::keyring_spec();
    let args = ["ocean-api", "--encryption-keys", keys.expose_secret()];
    Ok(<Defaults as clap::Parser>::try_parse_from(args)?.settings)
}

/// Signs in to the console as a browser does; returns the `Cookie` header value of the session.
async fn sign_in(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<String> {
    let response = http
        .post(format!("{base}/sign-in"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={token}&next=/"))
        .send()
        .await
        .context("Failed to reach the api")?;
    anyhow::ensure!(
        response.status().is_redirection(),
        "sign-in answered {}",
        response.status()
    );
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{}=", ocean_api::console::SESSION_COOKIE)))
        .map(str::to_owned)
        .context("sign-in set no session cookie")
}

/// How a request is made: with the `/api` bearer token; as a browser loads a console page (session cookie);
/// or as the console's script polls the live fragment (cookie, `X-Requested-With: fetch`, and `If-None-Match`
/// with the ETag it last received).
#[derive(Clone)]
enum Auth {
    Bearer(String),
    Page(String),
    Poll(String),
}

/// One client's requests to one endpoint.
struct Client {
    http: reqwest::Client,
    url: String,
    auth: Auth,
    etag: String,
}

/// One answer: its latency to the last byte of the body, and the body (`None` for a 304).
type Answer = (f64, Option<String>);

impl Client {
    fn new(http: &reqwest::Client, url: String, auth: &Auth) -> Self {
        Self {
            http: http.clone(),
            url,
            auth: auth.clone(),
            etag: String::new(),
        }
    }

    async fn get(&mut self) -> anyhow::Result<Answer> {
        let url = &self.url;
        let request = match &self.auth {
            Auth::Bearer(value) => self.http.get(url).header(header::AUTHORIZATION, value),
            Auth::Page(cookie) => self.http.get(url).header(header::COOKIE, cookie),
            Auth::Poll(cookie) => self
                .http
                .get(url)
                .header(header::COOKIE, cookie)
                .header("x-requested-with", "fetch")
                .header(header::IF_NONE_MATCH, &self.etag),
        };
        let started = Instant::now();
        let response = request.send().await.with_context(|| format!("GET {url} failed"))?;
        let status = response.status();
        let etag = response.headers().get(header::ETAG).cloned();
        let body = response.text().await.with_context(|| format!("GET {url}: no body"))?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if status == StatusCode::NOT_MODIFIED && !self.etag.is_empty() {
            return Ok((ms, None));
        }
        anyhow::ensure!(status == StatusCode::OK, "GET {url} answered {status}: {body:.300}");
        if let Some(etag) = etag.and_then(|v| v.to_str().ok().map(str::to_owned)) {
            self.etag = etag;
        }
        Ok((ms, Some(body)))
    }
}

/// Warm-up, then `n` requests one after another, or fewer once `budget` has passed; `check` looks at every
/// answer's body.
async fn sequential(
    http: &reqwest::Client,
    base: &str,
    path: &'static str,
    auth: &Auth,
    n: usize,
    budget: Duration,
    check: impl Fn(&str) -> anyhow::Result<()>,
) -> anyhow::Result<Sequential> {
    let mut client = Client::new(http, format!("{base}{path}"), auth);
    for _ in 0..WARM_UP {
        if let (_, Some(body)) = client.get().await? {
            check(&body)?;
        }
    }
    let mut latencies = Vec::with_capacity(n);
    let (mut body_bytes, mut not_modified) = (0, 0);
    let started = Instant::now();
    while latencies.len() < n && started.elapsed() < budget {
        let (ms, body) = client.get().await?;
        match body {
            Some(body) => {
                check(&body)?;
                body_bytes = body.len();
            }
            None => not_modified += 1,
        }
        latencies.push(ms);
    }
    let secs = started.elapsed().as_secs_f64();
    let requests = latencies.len();
    latencies.sort_by(f64::total_cmp);
    Ok(Sequential {
        path,
        requests,
        not_modified,
        p50_ms: percentile(&latencies, 0.50),
        p95_ms: percentile(&latencies, 0.95),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        per_sec: requests as f64 / secs.max(1e-6),
        body_bytes,
    })
}

/// `clients` clients each asking for `path` one request after another until `duration` has passed.
async fn concurrent(
    http: &reqwest::Client,
    base: &str,
    path: &'static str,
    auth: &Auth,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Concurrent> {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let mut client = Client::new(http, format!("{base}{path}"), auth);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while Instant::now() < deadline {
                    answers.push(client.get().await?);
                }
                anyhow::Ok(answers)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut not_modified = 0;
    for task in tasks {
        for (ms, body) in task.await.context("a client panicked")?? {
            latencies.push(ms);
            not_modified += usize::from(body.is_none());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let per_sec = latencies.len() as f64 / secs.max(1e-6);
    Ok(Concurrent {
        path,
        clients,
        secs,
        requests: latencies.len(),
        not_modified,
        per_sec,
        p50_ms: percentile(&latencies, 0.50),
        p95_ms: percentile(&latencies, 0.95),
        open_pages: per_sec * POLL_SECS,
    })
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.50), 10.0);
        assert_eq!(percentile(&values, 0.95), 19.0);
        assert_eq!(percentile(&[], 0.95), 0.0);
    }
}

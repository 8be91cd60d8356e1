//! Marketplace limits: N release worker processes sync M shops of ONE app against the simulator, which limits
//! every (app, endpoint) to `limit_rate` req/s. The fleet shares the app's budget through Redis, so the figure
//! of merit is how close each endpoint's achieved rate gets to the limit without a 429.

use std::{collections::BTreeMap, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use ocean_sim::{RateLimit, ShopConfig, SimConfig};
use ocean_testkit::SimServer;
use serde::Serialize;

use crate::{cli::Settings, harness::Phase, processes, seed};

/// Shops are small so one sync is one call per endpoint: the run measures the limiter, not page counts.
const SHOP_PRODUCTS: usize = 20;
const SHOP_ORDERS: usize = 30;
/// Orders span one day and the workers look back two, so a first sync reads one order window.
const LOOKBACK_DAYS: &str = "2";
const ENDPOINTS: [&str; 3] = ["shop-info", "product-info", "order-list"];

/// One endpoint's traffic.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointRate {
    /// Requests the simulator served (429s included).
    pub requests: u64,
    /// Requests per second over the sync window.
    pub per_sec: f64,
    /// `per_sec` ÷ the configured limit.
    pub share_of_limit: f64,
    /// The same without the bucket's initial burst (`limit` requests answered at once): the sustained rate.
    pub sustained_share_of_limit: f64,
    /// HTTP 429 answers.
    pub rate_limited: u64,
}

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct LimitsResult {
    pub workers: usize,
    pub accounts: usize,
    pub limit_per_sec: u32,
    /// The workers aim at this share of the limit (`OCEAN_MARKETPLACE_HEADROOM`, default 0.9).
    pub worker_headroom: f64,
    pub products_per_shop: usize,
    pub orders_per_shop: usize,
    /// First sync start to last sync finish, from the account rows.
    pub window_secs: f64,
    /// Scheduler start to every account finished (includes the first tick and process warm-up).
    pub wall_secs: f64,
    pub synced: i64,
    pub failed: i64,
    pub accounts_per_min: f64,
    pub endpoints: BTreeMap<String, EndpointRate>,
    pub total_429: u64,
    pub tokens_issued: u64,
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<LimitsResult> {
    let shop = ShopConfig {
        products: SHOP_PRODUCTS,
        orders: SHOP_ORDERS,
        order_days: 1,
        latency_ms: 5,
        ..ShopConfig::default()
    };
    let app = seed::one_app(settings.accounts, 70_000, shop);
    let limit = RateLimit {
        rate_per_sec: f64::from(settings.limit_rate),
        burst: settings.limit_rate,
    };
    let sim = SimServer::try_start(SimConfig {
        apps: vec![app.clone()],
        rate_limit: limit,
        ..SimConfig::default()
    })
    .await?;
    let (_, launcher, keyring) = processes::queue_and_launcher(phase, settings, "limits").await?;
    let ids = seed::create_accounts(&phase.pool, &keyring, &app).await?;
    let rate = settings.limit_rate.to_string();
    let env = [
        ("OCEAN_MARKETPLACE_RATE_PER_SEC", rate.as_str()),
        ("OCEAN_MARKETPLACE_BURST", rate.as_str()),
        ("OCEAN_ORDER_LOOKBACK_DAYS", LOOKBACK_DAYS),
    ];
    let mut workers = launcher.spawn(phase, &sim, settings.workers, &env)?;

    let started = std::time::Instant::now();
    let _scheduler = processes::spawn_scheduler(
        phase,
        phase.redis_settings("sync"),
        ocean_scheduler::SchedulerSettings::default(),
    )
    .await;
    let limit_secs = Duration::from_secs(settings.phase_timeout_secs.saturating_sub(10).max(10));
    ocean_testkit::wait_until(
        "every account to finish a sync",
        limit_secs,
        Duration::from_millis(200),
        || {
            let alive = workers.check();
            async move {
                alive?;
                let (finished, total): (i64, i64) = sqlx::query_as(
                "SELECT count(*) FILTER (WHERE last_sync_finished_at IS NOT NULL), count(*) FROM integration_accounts",
            )
            .fetch_one(&phase.pool)
            .await
            .context("Failed to read sync progress")?;
                Ok((finished == total).then_some(()))
            }
        },
    )
    .await?;
    let wall_secs = started.elapsed().as_secs_f64();
    workers.stop().await;

    let (first_start, last_finish, synced, failed): (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64, i64) =
        sqlx::query_as(
            r#"SELECT min(last_sync_started_at), max(last_sync_finished_at),
                      count(*) FILTER (WHERE sync_count >= 1), count(*) FILTER (WHERE error_count > 0)
               FROM integration_accounts"#,
        )
        .fetch_one(&phase.pool)
        .await
        .context("Failed to read the sync window")?;
    let window_secs = match (first_start, last_finish) {
        (Some(a), Some(b)) => ((b - a).num_milliseconds() as f64 / 1000.0).max(0.001),
        _ => anyhow::bail!("no sync started"),
    };
    let stats = sim.sim.stats();
    let (rate, burst) = (f64::from(settings.limit_rate), u64::from(settings.limit_rate));
    let endpoints = ENDPOINTS
        .iter()
        .map(|&name| {
            let requests = stats.requests.get(name).copied().unwrap_or(0);
            let per_sec = requests as f64 / window_secs;
            let endpoint = EndpointRate {
                requests,
                per_sec,
                share_of_limit: per_sec / rate,
                sustained_share_of_limit: requests.saturating_sub(burst) as f64 / window_secs / rate,
                rate_limited: stats.rate_limited.get(name).copied().unwrap_or(0),
            };
            (name.to_owned(), endpoint)
        })
        .collect();
    Ok(LimitsResult {
        workers: settings.workers,
        accounts: ids.len(),
        limit_per_sec: settings.limit_rate,
        worker_headroom: processes::marketplace_defaults().headroom,
        products_per_shop: SHOP_PRODUCTS,
        orders_per_shop: SHOP_ORDERS,
        window_secs,
        wall_secs,
        synced,
        failed,
        accounts_per_min: synced as f64 / window_secs * 60.0,
        endpoints,
        total_429: stats.rate_limited.values().sum(),
        tokens_issued: stats.tokens_issued,
    })
}

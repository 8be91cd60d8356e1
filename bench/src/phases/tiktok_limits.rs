//! TikTok Shop limits: N release worker processes sync M shops of ONE TikTok Shop app against the simulator,
//! which enforces a limit it never tells the client (no header, no figure: only HTTP 429). The workers learn
//! it with the fleet's adaptive limiter (`core/src/marketplace/adaptive.rs`, at its defaults), so the figures
//! of merit are how close a busy key's accepted rate gets to the hidden limit and how many requests the
//! marketplace refuses, after the first minute (the time allowed for learning).
//!
//! What is limited: the simulator keeps one token bucket per (app, shop, endpoint); calls made for the app
//! rather than a shop (`GET /authorization/202309/shops`, which every sync job makes first to prove the shop
//! is still linked) share one bucket per (app, endpoint). A shop's first sync with a long order lookback
//! walks its history in windows of just under 3 days, one order search each, so that shop's
//! `order-search` key has far more demand than the limit for the whole run: those are the busy keys. The
//! page budget is raised so a sync keeps its worker slot (and its key busy) instead of queueing a
//! continuation behind the other shops; everything else is the workers' default (4 slots per process).
//! Products and orders are few, so a call costs the workers almost nothing but its slot in the limit.
//!
//! Measured from the simulator's own counters (requests served and 429s per endpoint, snapshots at the start,
//! after the first minute and at the end) and from Postgres (which accounts hold a sync lease, sampled every
//! 200 ms): a busy key's rate is the accepted `order-search` requests ÷ the key-seconds of syncs in flight.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::Context;
use ocean_core::{
    db::accounts::{self, NewAccount},
    domain::Feature,
    marketplace::{AccountCredentials, adaptive::AdaptiveLimitSettings, tiktok_shop},
};
use ocean_sim::{
    RateLimit, SimConfig,
    tiktok_shop::{AppConfig, Config, ShopConfig, Stats},
};
use ocean_testkit::SimServer;
use serde::Serialize;

use crate::{cli::Settings, harness::Phase, processes};

mod parts;

use parts::*;

const APP_KEY: &str = "6benchtiktokapp";
const APP_SECRET: &str = "bench-tiktok-secret";
/// Shop ids; the simulator derives wire ids from the last seven digits, which differ per shop.
const FIRST_SHOP_ID: u64 = 7_494_000_000_001_000_000;
/// Small shops: one product page and a day of orders, so the calls that matter are the order windows.
const SHOP_PRODUCTS: usize = 20;
const SHOP_ORDERS: usize = 30;
const SHOP_LATENCY_MS: u64 = 5;
/// Shops per consent (one code, one grant covering them all, as a seller with several shops gives).
const CONSENT_BATCH: usize = 25;
/// One order window is 3 days less a minute (`MAX_ORDER_WINDOW_SECS`); the lookback is sized in windows.
const DAYS_PER_WINDOW: u64 = 3;
/// Windows a shop must have beyond `limit × (window + slack)`, should the fleet beat the limit.
const WINDOW_MARGIN: f64 = 1.5;
const SLACK_SECS: u64 = 60;
/// The lookback stays within the unix epoch.
const MAX_LOOKBACK_DAYS: u64 = 18_000;
/// How often the syncs in flight are counted.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// The bar, after the first minute.
pub const MIN_SHARE_OF_LIMIT: f64 = 0.85;
pub const MAX_SHARE_429: f64 = 0.01;
/// The busy keys' endpoint.
const BUSY_ENDPOINT: &str = "order-search";

/// Requests and refusals of one endpoint over a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub rate_limited: u64,
}

/// One period of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub secs: f64,
    /// ∫ syncs in flight dt: the seconds during which an `order-search` key had a sync waiting on it.
    pub busy_key_secs: f64,
    /// `busy_key_secs ÷ secs`.
    pub mean_busy_keys: f64,
    /// Accepted (not 429) `order-search` requests.
    pub busy_accepted: u64,
    /// `busy_accepted ÷ busy_key_secs`: a busy key's accepted rate.
    pub per_key_rate: f64,
    /// `per_key_rate ÷` the hidden limit.
    pub share_of_limit: f64,
    /// Every rate-limited endpoint together (the token and consent pages are not limited).
    pub requests: u64,
    pub rate_limited: u64,
    /// `rate_limited ÷ requests`.
    pub share_429: f64,
    pub endpoints: BTreeMap<String, Counts>,
    /// Rates the fleet had learnt for the busy keys (Redis, sampled every second): min, mean, max.
    pub learnt_rate: Option<[f64; 3]>,
}

/// One second of the run, for reading the limiter's behaviour from the JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    pub t: u64,
    pub syncs_in_flight: i64,
    /// `order-search` requests accepted and refused in this second, all keys together.
    pub accepted: u64,
    pub rate_limited: u64,
    /// The learnt rates of the keys that have one: min, mean, max.
    pub learnt_rate: Option<[f64; 3]>,
}

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct TikTokLimitsResult {
    pub workers: usize,
    /// Jobs each worker runs at once (its default).
    pub worker_concurrency: usize,
    pub shops: usize,
    pub consents: usize,
    pub limit_per_sec: u32,
    pub limit_burst: u32,
    /// What the simulator keeps a bucket for.
    pub limit_scope: &'static str,
    /// The adaptive limiter's settings as the workers read them.
    pub ceiling: f64,
    /// The ceiling was at or below the hidden limit and was raised above it.
    pub ceiling_raised: bool,
    /// Every other setting of the adaptive limiter is its documented default (the workers inherit this
    /// process's environment, so `OCEAN_TIKTOK_SHOP_RATE_*` set there reach them).
    pub adaptive_defaults: bool,
    pub floor: f64,
    pub decrease: f64,
    pub trim: f64,
    pub cooldown_ms: u64,
    pub increase: f64,
    pub probe_successes: u32,
    pub products_per_shop: usize,
    pub orders_per_shop: usize,
    pub order_lookback_days: u64,
    pub windows_per_shop: u64,
    pub job_page_budget: u64,
    pub first: Period,
    pub after: Period,
    /// Shops whose sync started during the run, and syncs that failed.
    pub shops_synced: i64,
    pub failed_syncs: i64,
    pub bar_min_share_of_limit: f64,
    pub bar_max_share_429: f64,
    pub series: Vec<Second>,
}

impl TikTokLimitsResult {
    /// Why the run misses the bar (after the first minute), if it does.
    pub fn bar_missed(&self) -> Option<String> {
        let a = &self.after;
        let mut misses = Vec::new();
        if a.share_of_limit < self.bar_min_share_of_limit {
            misses.push(format!(
                "a busy key's rate is {:.1}% of the hidden limit (bar ≥ {:.0}%)",
                a.share_of_limit * 100.0,
                self.bar_min_share_of_limit * 100.0
            ));
        }
        if a.share_429 > self.bar_max_share_429 {
            misses.push(format!(
                "{:.2}% of requests answered 429 (bar ≤ {:.0}%)",
                a.share_429 * 100.0,
                self.bar_max_share_429 * 100.0
            ));
        }
        (!misses.is_empty()).then(|| format!("bar missed after the first minute: {}", misses.join("; ")))
    }
}

/// Runs the phase.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<TikTokLimitsResult> {
    let rate = settings.tiktok_limit_rate;
    let window = Duration::from_secs(settings.tiktok_window_secs);
    let learn = Duration::from_secs(settings.tiktok_learn_secs);
    anyhow::ensure!(learn < window, "--tiktok-learn-secs must be below --tiktok-window-secs");
    let windows_per_shop =
        ((settings.tiktok_window_secs + SLACK_SECS) as f64 * f64::from(rate) * WINDOW_MARGIN).ceil() as u64;
    let lookback_days = (windows_per_shop * DAYS_PER_WINDOW).min(MAX_LOOKBACK_DAYS);
    let windows_per_shop = lookback_days / DAYS_PER_WINDOW;
    let page_budget = windows_per_shop + 100;

    let limit = RateLimit {
        rate_per_sec: f64::from(rate),
        burst: rate,
    };
    let shops: Vec<ShopConfig> = (0..settings.accounts as u64)
        .map(|i| ShopConfig {
            shop_id: FIRST_SHOP_ID + i,
            name: format!("Toko TikTok Bench {i}"),
            seed: i,
            products: SHOP_PRODUCTS,
            orders: SHOP_ORDERS,
            order_days: 1,
            arrivals_per_day: 0,
            arrival_days: 0,
            latency_ms: SHOP_LATENCY_MS,
            ..ShopConfig::default()
        })
        .collect();
    let sim = SimServer::try_start(SimConfig {
        tiktok_shop: Config {
            apps: vec![AppConfig {
                app_key: APP_KEY.into(),
                app_secret: APP_SECRET.into(),
                service_id: String::new(),
                redirect_uri: String::new(),
                shops: shops.clone(),
            }],
            rate_limit: limit,
            ..Config::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let client_settings = tiktok_settings(&sim);
    let (_, launcher, keyring) = processes::queue_and_launcher(phase, settings, "tiktok-limits").await?;

    // Accounts as the console creates them: the seller consents, the code becomes tokens and ciphers.
    let adapter = tiktok_shop::Adapter::new(&client_settings, None)?.context("the TikTok Shop settings name no app")?;
    let mut ciphers = Vec::with_capacity(shops.len());
    let mut conn = phase.pool.acquire().await.context("Failed to get a connection")?;
    let mut consents = 0;
    for batch in shops.chunks(CONSENT_BATCH) {
        let connections = connect(&sim, &adapter, batch).await?;
        consents += 1;
        anyhow::ensure!(
            connections.len() == batch.len(),
            "a consent for {} shops authorized {}",
            batch.len(),
            connections.len()
        );
        for connection in connections {
            let creds = connection.credentials;
            ciphers.push(creds.shop_cipher.clone());
            let new = NewAccount {
                integration_id: tiktok_shop::ID.into(),
                account_name: creds.shop_name.clone(),
                account_identifier: format!("shop_{}", creds.shop_id),
                credentials: AccountCredentials::TikTokShop(creds),
                secrets: connection.secrets,
                enabled: true,
                auto_sync: true,
                sync_interval_minutes: 1,
                features: vec![Feature::ProductManagement, Feature::OrderManagement],
                is_primary: false,
                metadata: serde_json::json!({}),
            };
            accounts::insert(&mut conn, &keyring, &new)
                .await
                .context("Failed to insert an account")?;
        }
    }
    drop(conn);

    let adaptive = client_settings.adaptive.clone();
    // The ceiling is where every key starts; below the hidden limit the fleet could never reach it.
    let ceiling_raised = adaptive.ceiling <= f64::from(rate);
    let ceiling = if ceiling_raised {
        f64::from(rate) * 2.0
    } else {
        adaptive.ceiling
    };
    let (api, auth) = (api_url(&sim), auth_url(&sim));
    let (lookback, budget, ceiling_env) = (lookback_days.to_string(), page_budget.to_string(), ceiling.to_string());
    let mut env = vec![
        ("OCEAN_TIKTOK_SHOP_API_BASE_URL", api.as_str()),
        ("OCEAN_TIKTOK_SHOP_AUTH_BASE_URL", auth.as_str()),
        ("OCEAN_TIKTOK_SHOP_APP_KEY", APP_KEY),
        ("OCEAN_TIKTOK_SHOP_APP_SECRET", APP_SECRET),
        ("OCEAN_ORDER_LOOKBACK_DAYS", lookback.as_str()),
        ("OCEAN_JOB_PAGE_BUDGET", budget.as_str()),
    ];
    if ceiling_raised {
        env.push(("OCEAN_TIKTOK_SHOP_RATE_CEILING", ceiling_env.as_str()));
    }

    let tiktok = sim.sim.tiktok_shop();
    let mut redis = phase.redis.clone();
    let queue_name = phase.redis_settings("sync").queue_name;
    let busy_keys: Vec<String> = ciphers
        .iter()
        .map(|cipher| adaptive_key(&queue_name, cipher, BUSY_ENDPOINT))
        .collect();

    let start_stats = tiktok.stats();
    let started = Instant::now();
    let mut workers = launcher.spawn(phase, &sim, settings.workers, &env)?;
    let _scheduler = processes::spawn_scheduler(
        phase,
        phase.redis_settings("sync"),
        ocean_scheduler::SchedulerSettings::default(),
    )
    .await;

    let mut ticker = tokio::time::interval(SAMPLE_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut busy, mut learnt): ([f64; 2], [Vec<f64>; 2]) = ([0.0; 2], [Vec::new(), Vec::new()]);
    let (mut last_at, mut last_count) = (Duration::ZERO, 0_i64);
    let mut first_end: Option<(Duration, Stats)> = None;
    let mut series = Vec::new();
    let mut second_stats = start_stats.clone();
    let end = loop {
        ticker.tick().await;
        workers.check()?;
        let count = syncs_in_flight(phase).await?;
        let at = started.elapsed();
        let period = usize::from(first_end.is_some());
        busy[period] += (last_count + count) as f64 / 2.0 * (at - last_at).as_secs_f64();
        (last_at, last_count) = (at, count);
        if at.as_secs() > series.len() as u64 {
            let stats = tiktok.stats();
            let rates = learnt_rates(&mut redis, &busy_keys).await?;
            learnt[period].extend(&rates);
            let (accepted, refused) = busy_counts(&second_stats, &stats);
            series.push(Second {
                t: series.len() as u64 + 1,
                syncs_in_flight: count,
                accepted,
                rate_limited: refused,
                learnt_rate: spread(&rates),
            });
            second_stats = stats;
        }
        if first_end.is_none() && at >= learn {
            first_end = Some((at, tiktok.stats()));
        } else if at >= window {
            break (at, tiktok.stats());
        }
    };
    workers.stop().await;
    let (first_at, first_stats) = first_end.context("the run ended before its first minute")?;

    let (shops_synced, failed_syncs): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE last_sync_started_at IS NOT NULL), coalesce(sum(error_count), 0)::bigint FROM integration_accounts",
    )
    .fetch_one(&phase.pool)
    .await
    .context("Failed to read the syncs")?;
    let first = period(
        &start_stats,
        &first_stats,
        first_at.as_secs_f64(),
        busy[0],
        rate,
        &learnt[0],
    );
    let after = period(
        &first_stats,
        &end.1,
        (end.0 - first_at).as_secs_f64(),
        busy[1],
        rate,
        &learnt[1],
    );
    anyhow::ensure!(
        after.busy_key_secs > 1.0,
        "no sync was in flight after the first minute: nothing measured the limit"
    );
    Ok(TikTokLimitsResult {
        workers: settings.workers,
        worker_concurrency: ocean_worker::WorkerSettings::default().concurrency,
        shops: ciphers.len(),
        consents,
        limit_per_sec: rate,
        limit_burst: limit.burst,
        limit_scope: "per (app, shop, endpoint); per (app, endpoint) for app-wide calls",
        ceiling,
        ceiling_raised,
        adaptive_defaults: adaptive.policy() == AdaptiveLimitSettings::default().policy(),
        floor: adaptive.floor,
        decrease: adaptive.decrease,
        trim: adaptive.trim,
        cooldown_ms: adaptive.cooldown_ms,
        increase: adaptive.increase,
        probe_successes: adaptive.probe_successes,
        products_per_shop: SHOP_PRODUCTS,
        orders_per_shop: SHOP_ORDERS,
        order_lookback_days: lookback_days,
        windows_per_shop,
        job_page_budget: page_budget,
        first,
        after,
        shops_synced,
        failed_syncs,
        bar_min_share_of_limit: MIN_SHARE_OF_LIMIT,
        bar_max_share_429: MAX_SHARE_429,
        series,
    })
}

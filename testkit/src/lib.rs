//! Helpers for tests and benchmarks that run the real pieces: Postgres (a database per test, from
//! `#[sqlx::test]`), Redis (a queue namespace per test, deleted when its [`TestQueue`] is dropped), the
//! simulator on an ephemeral port, and [`TestApp`]: a whole Ocean Sync assembled as production does.

use std::{future::Future, sync::LazyLock, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use ocean_core::{
    config::{MarketplaceSettings, RedisSettings},
    crypto::Keyring,
    db::accounts::{self, NewAccount},
    domain::{Account, AccountCredentials, AccountSecrets, Feature},
    marketplace::{tiktok_shop::TikTokShopSettings, tokopedia},
    queue::{self, QueueTiming, SyncQueue},
};
use ocean_sim::{AppConfig, ShopConfig, Sim, SimConfig};
use rand::RngCore;
use secrecy::SecretString;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub mod app;
pub mod proxy;
pub mod redis_server;

pub use app::{ACCOUNTS, ADMIN_TOKEN, SECRET, TestApp, scheduler_settings, worker_settings};

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info,sqlx=warn")
            .with_test_writer()
            .try_init();
    }
});

/// Logs go to the test output only with `TEST_LOG=1`.
pub fn init_tracing() {
    LazyLock::force(&TRACING);
}

/// A simulator serving on 127.0.0.1 with an ephemeral port; stops when dropped.
pub struct SimServer {
    pub sim: Sim,
    /// The world the simulator was started with.
    pub config: SimConfig,
    pub base_url: String,
    stop: CancellationToken,
}

impl SimServer {
    pub async fn start(config: SimConfig) -> Self {
        Self::try_start(config).await.expect("start the simulator")
    }

    /// Like [`SimServer::start`], for callers that report errors (the bench).
    pub async fn try_start(config: SimConfig) -> anyhow::Result<Self> {
        use anyhow::Context;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("Failed to bind the simulator's port")?;
        let base_url = format!("http://{}", listener.local_addr().context("simulator address")?);
        let sim = Sim::new(config.clone());
        let stop = CancellationToken::new();
        let cancelled = stop.clone();
        let served = sim.clone();
        tokio::spawn(async move {
            let _ = ocean_sim::serve(listener, served, async move { cancelled.cancelled().await }).await;
        });
        Ok(Self {
            sim,
            config,
            base_url,
            stop,
        })
    }

    /// Client settings pointing at this simulator.
    pub fn marketplace_settings(&self) -> MarketplaceSettings {
        MarketplaceSettings {
            base_url: self.base_url.clone(),
            auth_url: format!("{}/token", self.base_url),
            timeout_secs: 10,
            rate_per_sec: 50,
            burst: 50,
            endpoint_limits: String::new(),
            headroom: 0.9,
            retries: 2,
            max_rate_limit_retries: 20,
        }
    }

    /// TikTok Shop settings pointing at this simulator, with its first TikTok Shop app (none: no app).
    pub fn tiktok_shop_settings(&self) -> TikTokShopSettings {
        let app = self.config.tiktok_shop.apps.first();
        TikTokShopSettings {
            api_base_url: format!("{}/tiktok-shop/api", self.base_url),
            auth_base_url: format!("{}/tiktok-shop/auth", self.base_url),
            authorize_url: format!("{}/tiktok-shop/auth/oauth/authorize", self.base_url),
            service_id: String::new(),
            redirect_url: String::new(),
            app_key: app.map(|a| a.app_key.clone()).unwrap_or_default(),
            app_secret: SecretString::from(app.map(|a| a.app_secret.clone()).unwrap_or_default()),
            timeout_secs: 10,
            retries: 2,
            order_detail_batch: 50,
            max_429_retries: 20,
            refresh_margin_secs: 3600,
            adaptive: Default::default(),
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// One app with one shop whose sync takes a while (`latency_ms` per marketplace call) and limits that never
/// bite, so a test can act in the middle of a sync.
pub fn slow_shop(products: usize, orders: usize, latency_ms: u64) -> SimConfig {
    let mut config = SimConfig::demo();
    config.apps.truncate(1);
    let shop = &mut config.apps[0].shops[0];
    (shop.products, shop.orders, shop.latency_ms) = (products, orders, latency_ms);
    config.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    config
}

/// The URL of the test Redis (`REDIS_URL`, default local).
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// Settings for a queue no other test uses.
pub fn redis_settings() -> RedisSettings {
    app::redis_settings(&redis_url(), &format!("test:{}:sync", uuid::Uuid::new_v4().simple()))
}

/// A queue in its own namespace on the test Redis.
pub async fn fresh_queue() -> TestQueue {
    queue_on(&redis_url()).await
}

/// A queue in its own namespace on the Redis at `url` (a private server of a fault test).
pub async fn queue_on(url: &str) -> TestQueue {
    let settings = RedisSettings {
        redis_url: SecretString::from(url.to_owned()),
        ..redis_settings()
    };
    let conn = queue::connect(&settings)
        .await
        .expect("Redis must run on REDIS_URL (make test starts it)");
    TestQueue {
        queue: SyncQueue::new(conn, &settings.queue_name, test_timing()),
        redis_url: url.to_owned(),
    }
}

/// A test's queue namespace: every key under it is deleted when this is dropped, also when the test
/// panics, so no test leaves keys behind (never FLUSHALL: other tests share the server). Use it as a
/// [`SyncQueue`]; clones of that queue do not own the namespace.
pub struct TestQueue {
    queue: SyncQueue,
    redis_url: String,
}

impl TestQueue {
    /// Settings naming this namespace, for building processes on it.
    pub fn settings(&self) -> RedisSettings {
        app::redis_settings(&self.redis_url, self.queue.name())
    }

    /// Deletes every key of the namespace now: a deployment's FLUSHALL, without touching the other tests
    /// sharing the server.
    pub fn flush(&self) {
        delete_namespace(&self.redis_url, self.queue.name());
    }

    /// The Redis URL of this namespace.
    pub fn redis_url(&self) -> &str {
        &self.redis_url
    }
}

impl std::ops::Deref for TestQueue {
    type Target = SyncQueue;

    fn deref(&self) -> &SyncQueue {
        &self.queue
    }
}

impl Drop for TestQueue {
    fn drop(&mut self) {
        // Drop cannot await, and may run while a panic unwinds: a blocking connection of its own.
        delete_namespace(&self.redis_url, self.queue.name());
    }
}

/// Deletes every key starting with `prefix`. A server that is gone (a fault test killed it) has nothing
/// left to delete.
pub fn delete_namespace(redis_url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url) else {
        return;
    };
    let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: redis::RedisResult<u64> = redis::cmd("DEL").arg(chunk).query(&mut conn);
    }
}

/// Short heartbeats so crash recovery is quick in tests.
pub fn test_timing() -> QueueTiming {
    QueueTiming {
        heartbeat: Duration::from_secs(1),
        missed_heartbeats: 3,
        batch_size: 4,
    }
}

/// A URL for `pool`'s database (the one `#[sqlx::test]` made), for child processes: `DATABASE_URL`
/// with its database name replaced.
pub fn database_url_for(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let database = pool.connect_options().get_database().unwrap_or("postgres").to_owned();
    let (without_query, query) = base
        .split_once('?')
        .map_or((base.as_str(), None), |(b, q)| (b, Some(q)));
    let server = without_query
        .rsplit_once('/')
        .map_or(without_query, |(server, _)| server);
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

/// The `ocean-worker` binary `bin` (from `env!("CARGO_BIN_EXE_ocean-worker")`) set up for a test: the
/// test's database, its Redis namespace, the simulator, fast polling, quiet logs. Add `env`s and spawn.
pub fn worker_process(
    bin: &str,
    pool: &PgPool,
    sim: &SimServer,
    queue: &str,
    keys: &SecretString,
) -> tokio::process::Command {
    let mut command = service_process(bin, pool, &sim.base_url, queue, keys);
    command.env("OCEAN_POLL_INTERVAL_MS", "100");
    command
}

/// A worker process for fault tests: fast heartbeats (a dead worker's jobs come back within about 3 s),
/// a 3 s lease, limits that never bite. Add `env`s and spawn.
pub fn fast_worker_process(
    bin: &str,
    pool: &PgPool,
    sim: &SimServer,
    queue: &str,
    keys: &SecretString,
) -> tokio::process::Command {
    let mut command = worker_process(bin, pool, sim, queue, keys);
    command
        .env("OCEAN_MARKETPLACE_RATE_PER_SEC", "1000")
        .env("OCEAN_MARKETPLACE_BURST", "1000")
        .env("OCEAN_HEARTBEAT_SECS", "1")
        .env("OCEAN_MISSED_HEARTBEATS", "3")
        .env("OCEAN_LEASE_TTL_SECS", "3");
    command
}

/// The pid inside a worker name (`host-pid-startmillis`), as leases and sync logs record it.
pub fn pid_of(worker_name: &str) -> Option<u32> {
    let mut parts = worker_name.rsplit('-');
    parts.next()?;
    parts.next()?.parse().ok()
}

/// Any Ocean Sync binary `bin` (api, scheduler, worker) set up for a test: the test's database, its Redis
/// namespace, the marketplace at `marketplace_url`, the keyring, any free metrics port, quiet logs, killed
/// when dropped. Add `arg`s and `env`s and spawn.
pub fn service_process(
    bin: &str,
    pool: &PgPool,
    marketplace_url: &str,
    queue: &str,
    keys: &SecretString,
) -> tokio::process::Command {
    let mut command = service_command(bin, &database_url_for(pool), &redis_url(), marketplace_url, queue, keys);
    command
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// What every Ocean Sync process started by a test or a benchmark needs: where Postgres, Redis (and the
/// queue in it) and the marketplace are, the keyring, and any free metrics port (several processes share
/// a machine); killed when dropped.
pub fn service_command(
    bin: impl AsRef<std::ffi::OsStr>,
    database_url: &str,
    redis_url: &str,
    marketplace_url: &str,
    queue: &str,
    keys: &SecretString,
) -> tokio::process::Command {
    use secrecy::ExposeSecret;
    let mut command = tokio::process::Command::new(bin);
    command
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("OCEAN_QUEUE_NAME", queue)
        .env("OCEAN_TOKOPEDIA_BASE_URL", marketplace_url)
        .env("OCEAN_TOKOPEDIA_AUTH_URL", format!("{marketplace_url}/token"))
        .env("OCEAN_ENCRYPTION_KEYS", keys.expose_secret())
        .env("OCEAN_METRICS_ADDR", "127.0.0.1:0")
        .kill_on_drop(true);
    command
}

/// A scheduler for tests with worker processes: quick ticks, default feeding; runs until `stop`.
pub async fn spawn_scheduler(pool: &PgPool, queue: &TestQueue, stop: &CancellationToken) {
    let settings = ocean_scheduler::SchedulerSettings {
        tick_ms: 200,
        ..scheduler_settings()
    };
    app::spawn_scheduler_on(&database_url_for(pool), queue.settings(), settings, stop.clone()).await;
}

/// A keyring with one random key, as `OCEAN_ENCRYPTION_KEYS` would give.
pub fn keyring_spec() -> SecretString {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    SecretString::from(format!("test:{}", STANDARD.encode(key)))
}

pub fn keyring() -> Keyring {
    Keyring::parse(&keyring_spec()).expect("valid test keyring")
}

/// An enabled, auto-synced account for `shop` of a simulator app (products, orders, shop info), as
/// tests and benchmarks create it directly in Postgres.
pub fn new_account(app: &AppConfig, shop: &ShopConfig, name: &str, interval: i32) -> NewAccount {
    NewAccount {
        integration_id: tokopedia::ID.into(),
        account_name: name.into(),
        account_identifier: format!("shop_{}", shop.shop_id),
        credentials: AccountCredentials::Tokopedia(tokopedia::TokopediaCredentials {
            fs_id: app.fs_id,
            shop_id: shop.shop_id,
            client_id: app.client_id.clone(),
        }),
        secrets: AccountSecrets::Tokopedia {
            client_secret: SecretString::from(app.client_secret.clone()),
        },
        enabled: true,
        auto_sync: true,
        sync_interval_minutes: interval,
        features: vec![Feature::ProductManagement, Feature::OrderManagement, Feature::ShopInfo],
        is_primary: false,
        metadata: serde_json::json!({}),
    }
}

/// An account for the first shop of a simulator app, created directly in Postgres.
pub async fn create_account(pool: &PgPool, keyring: &Keyring, app: &AppConfig, name: &str, interval: i32) -> Account {
    let shop = app.shops.first().expect("app with a shop");
    let mut conn = pool.acquire().await.expect("connection");
    accounts::insert(&mut conn, keyring, &new_account(app, shop, name, interval))
        .await
        .expect("insert account")
}

/// Follows a marketplace consent page as the seller's browser would, without following its redirect
/// back: where it sends the seller, with `state` and `code` (or `error`) in the query.
pub async fn consent(url: &str) -> reqwest::Url {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let answer = browser.get(url).send().await.expect("consent page");
    assert_eq!(
        answer.status(),
        reqwest::StatusCode::FOUND,
        "the consent page redirects back"
    );
    let location = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("ascii location");
    reqwest::Url::parse(location).expect("callback URL")
}

/// The value of `key` in the query of a consent's redirect.
pub fn consent_param(back: &reqwest::Url, key: &str) -> String {
    back.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no `{key}` in the consent's redirect {back}"))
}

/// Polls `check` every 100 ms until it yields a value. This bounds a wait for something that must happen;
/// it measures nothing (performance lives in `make bench`). Panics with `what` after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let every = Duration::from_millis(100);
    wait_until(what, limit, every, || {
        let next = check();
        async move { Ok(next.await) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Polls `check` every `every` until it yields a value, fails, or `limit` passes (an error naming `what`).
pub async fn wait_until<T, F, Fut>(what: &str, limit: Duration, every: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out after {}s waiting for {what}",
            limit.as_secs()
        );
        tokio::time::sleep(every).await;
    }
}

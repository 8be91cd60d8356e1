//! One running Ocean Sync for a test: the api built by `ocean_api::Application::build` (the production
//! wiring) on an ephemeral port, the simulator, and in-process workers and schedulers on demand, all on the
//! test's database and its own Redis namespace. Everything stops and the namespace is deleted when the
//! `TestApp` is dropped, also when the test panics.

use std::time::Duration;

use ocean_core::{
    config::{CryptoSettings, DatabaseSettings, RedisSettings},
    crypto::Keyring,
    db::accounts,
    domain::{Account, AccountId},
    marketplace::tiktok_shop::TikTokShopSettings,
    monitoring::MetricsSettings,
};
use ocean_scheduler::SchedulerSettings;
use ocean_sim::SimConfig;
use ocean_worker::WorkerSettings;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::{SimServer, TestQueue};

/// The bootstrap global admin's token.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdefghij";
/// The client secret of accounts made with [`TestApp::create_account`]; no answer may ever contain it.
pub const SECRET: &str = "a-very-secret-client-secret-41d8";
/// Where tokopedia accounts live in the api.
pub const ACCOUNTS: &str = "/api/integrations/tokopedia/accounts";

pub struct TestApp {
    /// First, so it is dropped first: the api, workers and schedulers stop before the namespace goes.
    _stop_on_drop: DropGuard,
    /// `http://127.0.0.1:<port>` of the api.
    pub url: String,
    pub http: reqwest::Client,
    /// The test's own pool (from `#[sqlx::test]`), for checks; the api, workers and schedulers have theirs.
    pub pool: PgPool,
    /// The namespace every process of this app uses; deleted on drop.
    pub queue: TestQueue,
    /// `OCEAN_ENCRYPTION_KEYS` of every process, and the ring it parses to.
    pub keys: SecretString,
    pub keyring: Keyring,
    pub sim: SimServer,
    stop: CancellationToken,
    database_url: String,
}

/// How to start a [`TestApp`]; [`TestApp::start`] takes every default.
pub struct TestAppBuilder<'a> {
    pool: &'a PgPool,
    sim: SimConfig,
    queue: Option<TestQueue>,
    database_url: Option<String>,
    sync_all_spread_secs: u64,
    auth_failures: (u32, u64),
    tiktok_shop_redirect_url: String,
}

impl<'a> TestAppBuilder<'a> {
    /// Where TikTok Shop's consent page sends sellers back (default: the console's callback).
    pub fn tiktok_shop_redirect_url(mut self, url: &str) -> Self {
        self.tiktok_shop_redirect_url = url.to_owned();
        self
    }

    /// The simulated marketplace (default: [`SimConfig::demo`]).
    pub fn sim(mut self, config: SimConfig) -> Self {
        self.sim = config;
        self
    }

    /// A namespace of the test's choosing, e.g. on a private Redis a fault test restarts.
    pub fn queue(mut self, queue: TestQueue) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The api reaches Postgres at this URL instead (a proxy a test cuts).
    pub fn database_url(mut self, url: String) -> Self {
        self.database_url = Some(url);
        self
    }

    /// How long sync-all spreads its jobs when the platform setting asks for it (default: none).
    pub fn sync_all_spread(mut self, spread: Duration) -> Self {
        self.sync_all_spread_secs = spread.as_secs();
        self
    }

    /// Wrong tokens one address may present per `window` (default: the api's, 10 a minute).
    pub fn auth_failures(mut self, limit: u32, window: Duration) -> Self {
        self.auth_failures = (limit, window.as_secs().max(1));
        self
    }

    pub async fn start(self) -> TestApp {
        crate::init_tracing();
        let queue = match self.queue {
            Some(queue) => queue,
            None => crate::fresh_queue().await,
        };
        let sim = SimServer::start(self.sim).await;
        let keys = crate::keyring_spec();
        let keyring = Keyring::parse(&keys).expect("valid test keyring");
        let database_url = self.database_url.unwrap_or_else(|| crate::database_url_for(self.pool));
        let settings = ocean_api::Settings {
            api: ocean_api::ApiSettings {
                addr: "127.0.0.1:0".into(),
                admin_token: Some(SecretString::from(ADMIN_TOKEN)),
                sync_all_spread_secs: self.sync_all_spread_secs,
                auth_failure_limit: self.auth_failures.0,
                auth_failure_window_secs: self.auth_failures.1,
            },
            database: database_settings(&database_url),
            redis: queue.settings(),
            crypto: CryptoSettings {
                encryption_keys: keys.clone(),
            },
            marketplace: sim.marketplace_settings(),
            tiktok_shop: TikTokShopSettings {
                redirect_url: self.tiktok_shop_redirect_url,
                ..sim.tiktok_shop_settings()
            },
            metrics: MetricsSettings::default(),
        };
        let api = ocean_api::Application::build(settings).await.expect("build the api");
        let url = format!("http://{}", api.address());
        let stop = CancellationToken::new();
        let api_stop = stop.clone();
        tokio::spawn(api.run_until(async move { api_stop.cancelled().await }));
        TestApp {
            _stop_on_drop: stop.clone().drop_guard(),
            url,
            http: reqwest::Client::new(),
            pool: self.pool.clone(),
            queue,
            keys,
            keyring,
            sim,
            stop,
            database_url,
        }
    }
}

fn database_settings(url: &str) -> DatabaseSettings {
    DatabaseSettings {
        database_url: SecretString::from(url.to_owned()),
        max_connections: 5,
    }
}

impl TestApp {
    /// The demo simulator, default settings.
    pub async fn start(pool: &PgPool) -> Self {
        Self::builder(pool).start().await
    }

    pub fn builder(pool: &PgPool) -> TestAppBuilder<'_> {
        TestAppBuilder {
            pool,
            sim: SimConfig::demo(),
            queue: None,
            database_url: None,
            sync_all_spread_secs: 0,
            auth_failures: (10, 60),
            tiktok_shop_redirect_url: String::new(),
        }
    }

    /// Sends a request with `token` (none: anonymous) and checks that the answer never carries a client
    /// secret; returns the status and the JSON answer (`null` when it is not JSON).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, text) = self.send_text(method, path, token, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Like [`TestApp::send`] (same secret checks), returning the answer's raw text.
    pub async fn send_text(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("api reachable");
        let status = response.status();
        let text = response.text().await.expect("answer body");
        assert!(!text.contains(SECRET), "a response leaked the client secret: {text}");
        for app in &self.sim.config.apps {
            assert!(
                !text.contains(&app.client_secret),
                "a response leaked a client secret: {text}"
            );
        }
        (status, text)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(ADMIN_TOKEN), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(ADMIN_TOKEN), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(ADMIN_TOKEN), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(ADMIN_TOKEN), None).await
    }

    /// Creates an account as the global admin with the secret [`SECRET`] (any shop id works for creation;
    /// syncs fail: the simulator does not know the credentials). Returns its id.
    pub async fn create_account(&self, name: &str, shop_id: u64) -> i64 {
        let (status, body) = self.post(ACCOUNTS, account_body(name, shop_id)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_i64().expect("account id")
    }

    /// Connects the first shop of simulator app `index` as the global admin, with every feature and no
    /// automatic syncs (a test's syncs then come from the api alone).
    pub async fn connect_shop(&self, index: usize, name: &str) -> AccountId {
        let app = &self.sim.config.apps[index];
        let shop = &app.shops[0];
        let body = json!({
            "account_name": name,
            "credentials": { "fs_id": app.fs_id, "shop_id": shop.shop_id, "client_id": app.client_id, "client_secret": app.client_secret },
            "features": ["product_management", "order_management", "shop_info", "logistics"],
            "auto_sync": false,
        });
        let (status, created) = self.post(ACCOUNTS, body).await;
        assert_eq!(status, StatusCode::CREATED, "connect shop: {created}");
        AccountId(created["data"]["id"].as_i64().expect("account id"))
    }

    /// Creates a user with a fresh token; returns (user id, token).
    pub async fn create_user(&self, username: &str, is_admin: bool) -> (i64, String) {
        let (status, body) = self
            .post("/api/users", json!({ "username": username, "is_admin": is_admin }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["data"]["id"].as_i64().expect("user id");
        let (status, body) = self
            .post(&format!("/api/users/{id}/tokens"), json!({ "name": "test" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (id, body["data"]["token"].as_str().expect("token").to_owned())
    }

    /// Gives `user` `role` on `account`.
    pub async fn grant(&self, account: i64, user: i64, role: &str) {
        let (status, body) = self
            .put(
                &format!("{ACCOUNTS}/{account}/access"),
                json!({ "user_id": user, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Starts an in-process worker ([`worker_settings`]) that runs until the app stops.
    pub async fn spawn_worker(&self) -> JoinHandle<anyhow::Result<()>> {
        self.spawn_worker_with(worker_settings()).await
    }

    /// Starts an in-process worker, built by `ocean_worker::Application::build`, with `settings`; it runs
    /// until the app stops, and the handle says whether it shut down cleanly.
    pub async fn spawn_worker_with(&self, settings: WorkerSettings) -> JoinHandle<anyhow::Result<()>> {
        let worker = ocean_worker::Application::build(ocean_worker::Settings {
            database: database_settings(&self.database_url),
            redis: self.queue.settings(),
            marketplace: self.sim.marketplace_settings(),
            tiktok_shop: self.sim.tiktok_shop_settings(),
            crypto: CryptoSettings {
                encryption_keys: self.keys.clone(),
            },
            worker: settings,
            metrics: MetricsSettings::default(),
        })
        .await
        .expect("build a worker");
        tokio::spawn(worker.run_until(self.stop.clone()))
    }

    /// Starts an in-process scheduler ([`scheduler_settings`]) that runs until the app is dropped.
    pub async fn spawn_scheduler(&self) {
        spawn_scheduler_on(
            &self.database_url,
            self.queue.settings(),
            scheduler_settings(),
            self.stop.clone(),
        )
        .await;
    }

    /// Stops the api, the workers and the schedulers now (dropping the app does it too); the namespace
    /// stays until the app is dropped.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Waits until the account has recorded `syncs` successful syncs and `errors` failed ones.
    pub async fn wait_for_outcome(&self, id: AccountId, syncs: i32, errors: i32) -> Account {
        crate::wait_for(
            &format!("account {id} to reach {syncs} syncs / {errors} errors"),
            Duration::from_secs(60),
            || async {
                let account = accounts::get(&self.pool, id).await.ok().flatten()?;
                (account.sync_count >= syncs && account.error_count >= errors).then_some(account)
            },
        )
        .await
    }
}

/// A create body for the demo simulator's first app with the secret [`SECRET`].
pub fn account_body(name: &str, shop_id: u64) -> Value {
    json!({
        "account_name": name,
        "credentials": { "fs_id": "12345", "shop_id": shop_id, "client_id": "client-abc", "client_secret": SECRET },
        "sync_interval_minutes": 30,
    })
}

/// In-process workers of tests: quick polling and heartbeats, a short grace period.
pub fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        job_timeout_secs: 60,
        poll_interval_ms: 50,
        shutdown_grace_secs: 5,
        heartbeat_secs: 1,
        pause_after_failures: 3,
        ..WorkerSettings::default()
    }
}

/// In-process schedulers of tests: quick ticks, default feeding.
pub fn scheduler_settings() -> SchedulerSettings {
    SchedulerSettings {
        tick_ms: 100,
        batch: 100,
        high_water: 1000,
        ..Default::default()
    }
}

/// A scheduler built by `ocean_scheduler::Application::build` on the database at `database_url` and the
/// queue of `redis`, ticking until `stop` is cancelled.
pub async fn spawn_scheduler_on(
    database_url: &str,
    redis: RedisSettings,
    settings: SchedulerSettings,
    stop: CancellationToken,
) {
    let scheduler = ocean_scheduler::Application::build(ocean_scheduler::Settings {
        database: database_settings(database_url),
        redis,
        scheduler: settings,
        metrics: MetricsSettings::default(),
    })
    .await
    .expect("build a scheduler");
    tokio::spawn(scheduler.run_until(stop));
}

/// Settings naming a queue, for building processes on it.
pub(crate) fn redis_settings(url: &str, queue_name: &str) -> RedisSettings {
    RedisSettings {
        redis_url: SecretString::from(url.to_owned()),
        queue_name: queue_name.to_owned(),
    }
}

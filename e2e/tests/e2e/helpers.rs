//! A running Ocean Sync for one test: api on an ephemeral port, workers and schedulers on demand.

use std::{sync::Arc, time::Duration};

use ocean_api::AppState;
use ocean_core::{
    crypto::Keyring,
    db::{accounts, users},
    domain::AccountId,
    marketplace::{TokopediaClient, coordination::Coordination},
    queue::SyncQueue,
};
use ocean_scheduler::SchedulerSettings;
use ocean_sim::SimConfig;
use ocean_testkit::SimServer;
use ocean_worker::{SyncContext, WorkerSettings};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdefghij";

pub struct TestApp {
    pub pool: PgPool,
    pub queue: SyncQueue,
    pub keyring: Keyring,
    pub sim: SimServer,
    pub api_url: String,
    pub http: reqwest::Client,
    stop: CancellationToken,
}

impl TestApp {
    pub async fn start(pool: PgPool, sim: SimConfig) -> Self {
        Self::start_with_spread(pool, sim, std::time::Duration::ZERO).await
    }

    /// With `spread`: how long sync-all spreads its jobs when the platform setting asks for it.
    pub async fn start_with_spread(pool: PgPool, sim: SimConfig, spread: std::time::Duration) -> Self {
        Self::start_with(pool, sim, spread, ocean_testkit::fresh_queue().await).await
    }

    /// On a queue of the test's choosing (a private Redis for fault tests).
    pub async fn start_with(pool: PgPool, sim: SimConfig, spread: std::time::Duration, queue: SyncQueue) -> Self {
        ocean_testkit::init_tracing();
        let sim = SimServer::start(sim).await;
        let keyring = ocean_testkit::keyring();
        users::ensure_admin(&pool, "admin", ADMIN_TOKEN)
            .await
            .expect("admin user");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind api port");
        let api_url = format!("http://{}", listener.local_addr().expect("api address"));
        let stop = CancellationToken::new();
        let state = AppState {
            pool: pool.clone(),
            queue: queue.clone(),
            keyring: Arc::new(keyring.clone()),
            marketplace: ocean_api::connection_test_client(&sim.marketplace_settings()).expect("client"),
            sync_all_spread: spread,
            auth_throttle: Default::default(),
        };
        let api_stop = stop.clone();
        tokio::spawn(ocean_api::run(
            listener,
            state,
            async move { api_stop.cancelled().await },
        ));
        Self {
            pool,
            queue,
            keyring,
            sim,
            api_url,
            http: reqwest::Client::new(),
            stop,
        }
    }

    /// Starts an in-process worker (the real apalis worker) that runs until the test ends.
    pub fn spawn_worker(&self) {
        self.spawn_worker_with(worker_settings());
    }

    /// Starts an in-process worker with the given settings.
    pub fn spawn_worker_with(&self, settings: WorkerSettings) {
        let coordination = Coordination::new(self.queue.connection(), self.queue.name(), self.keyring.clone());
        let client = TokopediaClient::new(&self.sim.marketplace_settings())
            .expect("client")
            .with_coordination(coordination);
        let ctx = SyncContext::new(
            self.pool.clone(),
            self.keyring.clone(),
            client,
            self.queue.clone(),
            &settings,
        );
        tokio::spawn(ocean_worker::run(ctx, self.queue.clone(), settings, self.stop.clone()));
    }

    pub fn spawn_scheduler(&self) {
        tokio::spawn(ocean_scheduler::run(
            self.pool.clone(),
            self.queue.clone(),
            scheduler_settings(),
            self.stop.clone(),
        ));
    }

    /// Calls the api as the global admin; returns the status and the JSON answer.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_url))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("api reachable");
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Creates an account over the API for the first shop of sim app `index`.
    pub async fn create_account(&self, index: usize, name: &str) -> AccountId {
        let app = &self.sim.config.apps[index];
        let shop = &app.shops[0];
        let body = json!({
            "account_name": name,
            "credentials": { "fs_id": app.fs_id, "shop_id": shop.shop_id, "client_id": app.client_id, "client_secret": app.client_secret },
            "features": ["product_management", "order_management", "shop_info", "logistics"],
            // Syncs in these tests come from the API only, so a scheduler's due slot never races them.
            "auto_sync": false,
        });
        let (status, created) = self.post("/api/integrations/tokopedia/accounts", body).await;
        assert_eq!(status, 201, "create account: {created}");
        AccountId(created["data"]["id"].as_i64().expect("account id"))
    }

    /// Waits until the account has recorded `syncs` successful syncs or `errors` failed ones.
    pub async fn wait_for_outcome(&self, id: AccountId, syncs: i32, errors: i32) -> ocean_core::domain::Account {
        ocean_testkit::wait_for(
            &format!("account {id} to reach {syncs} syncs / {errors} errors"),
            Duration::from_secs(60),
            || async {
                let account = accounts::get(&self.pool, id).await.ok().flatten()?;
                (account.sync_count >= syncs && account.error_count >= errors).then_some(account)
            },
        )
        .await
    }

    pub async fn shutdown(self) {
        self.stop.cancel();
        ocean_testkit::remove_namespace(&self.queue).await;
    }
}

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

pub fn scheduler_settings() -> SchedulerSettings {
    SchedulerSettings {
        tick_ms: 100,
        batch: 100,
        high_water: 1000,
        ..Default::default()
    }
}

/// Two apps, one shop each, small enough to sync in well under a second.
pub fn two_shops() -> SimConfig {
    let mut config = SimConfig::demo();
    for app in &mut config.apps {
        for shop in &mut app.shops {
            shop.products = 120;
            shop.orders = 300;
            shop.latency_ms = 0;
            // Well inside the worker's 30-day first-sync lookback, so every order is expected.
            shop.order_days = 20;
        }
    }
    config.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    config
}

//! A running api for one test, with typed helpers for users, accounts and grants.

use std::sync::Arc;

use ocean_api::{AppState, throttle::AuthThrottle};
use ocean_core::{db::users, queue::SyncQueue};
use ocean_sim::SimConfig;
use ocean_testkit::SimServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The global admin's token.
pub const ADMIN: &str = "api-test-admin-token-0123456789abcdef";
/// Every client secret the tests send; no response may ever contain it.
pub const SECRET: &str = "a-very-secret-client-secret-41d8";
pub const ACCOUNTS: &str = "/api/integrations/tokopedia/accounts";

pub struct TestApi {
    pub url: String,
    pub http: reqwest::Client,
    pub pool: PgPool,
    pub queue: SyncQueue,
    pub sim: SimServer,
}

impl TestApi {
    pub async fn start(pool: &PgPool) -> Self {
        Self::start_with_keyring(pool, ocean_testkit::keyring()).await
    }

    /// Sends a request and checks that the answer never carries a client secret.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(!text.contains(SECRET), "a response leaked the client secret: {text}");
        for app in &self.sim.config.apps {
            assert!(
                !text.contains(&app.client_secret),
                "a response leaked a client secret: {text}"
            );
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(ADMIN), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(ADMIN), Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(ADMIN), None).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(ADMIN), None).await
    }

    /// Creates an account as the global admin and returns its id.
    pub async fn create_account(&self, name: &str, shop_id: u64) -> i64 {
        let (status, body) = self.post(ACCOUNTS, account_body(name, shop_id)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_i64().unwrap()
    }

    /// Creates a user with a fresh token; returns (user id, token).
    pub async fn create_user(&self, username: &str, is_admin: bool) -> (i64, String) {
        let (status, body) = self
            .post("/api/users", json!({ "username": username, "is_admin": is_admin }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["data"]["id"].as_i64().unwrap();
        let (status, body) = self
            .post(&format!("/api/users/{id}/tokens"), json!({ "name": "test" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (id, body["data"]["token"].as_str().unwrap().to_owned())
    }

    pub async fn grant(&self, account: i64, user: i64, role: &str) {
        let (status, body) = self
            .put(
                &format!("{ACCOUNTS}/{account}/access"),
                json!({ "user_id": user, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn stop(self) {
        ocean_testkit::remove_namespace(&self.queue).await;
    }
}

/// A valid create body for a shop of the demo simulator's first app (any shop id works for creation).
pub fn account_body(name: &str, shop_id: u64) -> Value {
    json!({
        "account_name": name,
        "credentials": { "fs_id": "12345", "shop_id": shop_id, "client_id": "client-abc", "client_secret": SECRET },
        "sync_interval_minutes": 30,
    })
}

/// Names of the fields a 422 reports.
pub fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl TestApi {
    /// Like [`TestApi::start`], sealing secrets with `keyring` and sharing marketplace tokens through the
    /// queue's Redis namespace, so a test can run a worker that opens the secrets and shares the tokens.
    pub async fn start_with_keyring(pool: &PgPool, keyring: ocean_core::crypto::Keyring) -> Self {
        Self::start_with(pool, keyring, AuthThrottle::default()).await
    }

    /// Like [`TestApi::start`], throttling wrong tokens with `throttle` rather than the default budget.
    pub async fn start_with_throttle(pool: &PgPool, throttle: AuthThrottle) -> Self {
        Self::start_with(pool, ocean_testkit::keyring(), throttle).await
    }

    async fn start_with(pool: &PgPool, keyring: ocean_core::crypto::Keyring, throttle: AuthThrottle) -> Self {
        ocean_testkit::init_tracing();
        users::ensure_admin(pool, "admin", ADMIN)
            .await
            .expect("bootstrap admin");
        let queue = ocean_testkit::fresh_queue().await;
        let sim = SimServer::start(SimConfig::demo()).await;
        let state = AppState {
            pool: pool.clone(),
            queue: queue.clone(),
            keyring: Arc::new(keyring.clone()),
            // As in production: connection tests share the workers' tokens and request budgets.
            marketplace: ocean_api::connection_test_client(&sim.marketplace_settings())
                .expect("connection test client")
                .with_coordination(ocean_core::marketplace::coordination::Coordination::new(
                    queue.connection(),
                    queue.name(),
                    keyring.clone(),
                )),
            sync_all_spread: std::time::Duration::ZERO,
            auth_throttle: Arc::new(throttle),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind api port");
        let url = format!("http://{}", listener.local_addr().expect("api address"));
        tokio::spawn(ocean_api::run(listener, state, std::future::pending()));
        Self {
            url,
            http: reqwest::Client::new(),
            pool: pool.clone(),
            queue,
            sim,
        }
    }

    /// Like [`TestApi::send`] (same secret checks), returning the answer's raw text.
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
}

/// Every table of the public schema as text (`<table>: <row>` per line, rows sorted), for comparing the
/// whole database before and after a call or searching it.
pub async fn dump_tables(pool: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .fetch_all(pool)
    .await
    .expect("list tables");
    let mut dump = String::new();
    for table in tables {
        let rows: Option<String> = sqlx::query_scalar(&format!(
            r#"SELECT string_agg('{table}: ' || t::text, E'\n' ORDER BY t::text) FROM "{table}" t"#
        ))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("dump table {table}: {e}"));
        dump.push_str(&rows.unwrap_or_default());
        dump.push('\n');
    }
    dump
}

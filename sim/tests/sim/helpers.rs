//! A simulator on an ephemeral port and small helpers for its requests.

use std::path::PathBuf;

use ocean_sim::{RateLimit, Sim, SimConfig};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::oneshot;

pub const JAKARTA_FS: u64 = 12345;
pub const JAKARTA_SHOP: u64 = 67890;
pub const SURABAYA_SHOP: u64 = 12346;
pub const DAY: i64 = 86_400;

/// A running sim; the server stops when this is dropped.
pub struct Harness {
    pub sim: Sim,
    pub base: String,
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

/// The demo world without latency and with limits that functional tests
/// never hit (the rate-limit tests lower them explicitly).
pub fn fast_demo() -> SimConfig {
    let mut config = SimConfig::demo();
    for shop in config.apps.iter_mut().flat_map(|a| a.shops.iter_mut()) {
        shop.latency_ms = 0;
    }
    config.rate_limit = RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    config
}

pub async fn start(config: SimConfig) -> Harness {
    let sim = Sim::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(ocean_sim::serve(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    Harness {
        sim,
        base,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Harness {
    pub async fn token_response(&self, id: &str, secret: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/token?grant_type=client_credentials", self.base))
            .basic_auth(id, Some(secret))
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.expect("token json"))
    }

    pub async fn token(&self) -> String {
        let (status, body) = self.token_response("jakarta-client", "jakarta-secret").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, HeaderMap, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json().await.expect("json body"))
    }

    pub async fn stock_update(&self, token: &str, rows: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!(
                "{}/inventory/v1/fs/{JAKARTA_FS}/stock/update?shop_id={JAKARTA_SHOP}",
                self.base
            ))
            .bearer_auth(token)
            .json(rows)
            .send()
            .await
            .expect("stock update");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }
}

pub fn error_code(body: &Value) -> &Value {
    &body["header"]["error_code"]
}

pub fn products_path(page: usize, per_page: usize) -> String {
    format!("/inventory/v1/fs/{JAKARTA_FS}/product/info?shop_id={JAKARTA_SHOP}&page={page}&per_page={per_page}")
}

pub fn orders_path(from: i64, to: i64, page: u32, per_page: u32) -> String {
    format!("/v2/order/list?fs_id={JAKARTA_FS}&from_date={from}&to_date={to}&page={page}&per_page={per_page}")
}

/// A body from the shared fixtures: `$<env_var>`, by default
/// `../shared/fixtures/<folder>` from the project root, as for the client's fixture tests.
pub fn shared_fixture(env_var: &str, folder: &str, name: &str) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::var(env_var).unwrap_or_else(|_| format!("../shared/fixtures/{folder}"));
    let path = root.join(dir).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture json")
}

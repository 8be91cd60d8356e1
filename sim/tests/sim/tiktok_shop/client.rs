//! A TikTok Shop world for tests and a client that signs its requests.

use std::time::{SystemTime, UNIX_EPOCH};

use ocean_sim::tiktok_shop::{self, AppConfig, ShopConfig, signing};
use ocean_sim::{RateLimit, SimConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use crate::helpers::{Harness, fast_demo};

pub const APP_KEY: &str = "6demotiktokapp";
pub const APP_SECRET: &str = "demo-tiktok-secret";
pub const SERVICE_ID: &str = "7312000000000000001";
/// The demo's Bandung shop: two warehouses.
pub const BANDUNG: u64 = 7_494_000_000_000_054_321;
/// A second shop of the demo app: one warehouse.
pub const MEDAN: u64 = 7_494_000_000_000_012_345;
pub const OTHER_APP_KEY: &str = "6otherapp";
pub const OTHER_APP_SECRET: &str = "other-secret";
/// The other app's shop.
pub const DENPASAR: u64 = 7_494_000_000_000_099_999;
pub const CALLBACK: &str = "http://127.0.0.1:9/tiktok-shop/callback?from=sim";
/// Lifetimes in the test world, in seconds.
pub const ACCESS_TTL: i64 = 3_600;
pub const REFRESH_TTL: i64 = 7 * 86_400;
pub const CODE_TTL: i64 = 600;

/// The demo world plus a second shop for the demo app and a second app,
/// with a frozen clock, short lifetimes and limits functional tests never hit.
pub fn world() -> SimConfig {
    let mut config = fast_demo();
    let tts = &mut config.tiktok_shop;
    tts.frozen_clock = true;
    tts.access_token_ttl_secs = ACCESS_TTL as u64;
    tts.refresh_token_ttl_secs = REFRESH_TTL as u64;
    tts.auth_code_ttl_secs = CODE_TTL as u64;
    tts.rate_limit = RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    let small = |shop_id, name: &str, seed| ShopConfig {
        shop_id,
        name: name.into(),
        seed,
        products: 30,
        orders: 80,
        arrivals_per_day: 10,
        ..ShopConfig::default()
    };
    let demo = &mut tts.apps[0];
    for shop in &mut demo.shops {
        shop.latency_ms = 0;
    }
    demo.shops.push(small(MEDAN, "Toko Medan", 4));
    tts.apps.push(AppConfig {
        app_key: OTHER_APP_KEY.into(),
        app_secret: OTHER_APP_SECRET.into(),
        service_id: String::new(),
        redirect_uri: CALLBACK.into(),
        shops: vec![small(DENPASAR, "Toko Denpasar", 5)],
    });
    config
}

pub fn wall_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(secs).expect("seconds fit")
}

/// The tokens of a grant, as the token endpoint answered them.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl Harness {
    pub fn tts(&self) -> tiktok_shop::Controls<'_> {
        self.sim.tiktok_shop()
    }

    pub fn cipher(&self, shop_id: u64) -> String {
        self.tts().cipher(shop_id).expect("known shop")
    }

    /// A signed request to the API host as the demo app.
    pub fn api(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            harness: self,
            method,
            path: path.to_owned(),
            query: Vec::new(),
            body: None,
            token: None,
            app_key: APP_KEY.into(),
            app_secret: APP_SECRET.into(),
            timestamp: Some(wall_now()),
            sign: Sign::Correct,
        }
    }

    /// A signed request as the demo app with `token`, aimed at `shop`.
    pub fn shop_api(&self, method: Method, path: &str, token: &str, shop: u64) -> Call<'_> {
        self.api(method, path).token(token).cipher(&self.cipher(shop))
    }

    /// Follows the consent page by hand: the `Location` it redirects to.
    pub async fn consent(&self, page: &str, query: &[(&str, &str)]) -> Url {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = client
            .get(format!("{}/tiktok-shop/auth{page}", self.base))
            .query(query)
            .send()
            .await
            .expect("consent page");
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()["location"].to_str().expect("ascii");
        Url::parse(location).expect("redirect URL")
    }

    /// A fresh code from the demo app's consent page.
    pub async fn code(&self, extra: &[(&str, &str)]) -> String {
        let mut query = vec![("app_key", APP_KEY), ("state", "s1"), ("redirect_uri", CALLBACK)];
        query.extend_from_slice(extra);
        let redirect = self.consent("/oauth/authorize", &query).await;
        query_value(&redirect, "code").expect("a code")
    }

    /// `GET` on the auth host.
    pub async fn auth_get(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}/tiktok-shop/auth{path}", self.base))
            .query(query)
            .send()
            .await
            .expect("auth request");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }

    pub async fn exchange(&self, code: &str) -> (StatusCode, Value) {
        let query = [
            ("app_key", APP_KEY),
            ("app_secret", APP_SECRET),
            ("auth_code", code),
            ("grant_type", "authorized_code"),
        ];
        self.auth_get("/api/v2/token/get", &query).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        let query = [
            ("app_key", APP_KEY),
            ("app_secret", APP_SECRET),
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
        ];
        self.auth_get("/api/v2/token/refresh", &query).await
    }

    /// Consent (to every shop of the demo app, unless `extra` narrows it) and exchange.
    pub async fn authorize(&self, extra: &[(&str, &str)]) -> Tokens {
        let code = self.code(extra).await;
        let (status, body) = self.exchange(&code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        tokens(body)
    }

    /// `POST /sim/tiktok-shop/{path}` with a JSON body.
    pub async fn control(&self, method: Method, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, format!("{}/sim/tiktok-shop{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("control");
        let status = response.status();
        (status, response.json().await.expect("json body"))
    }
}

pub fn tokens(body: Value) -> Tokens {
    let text = |key: &str| body["data"][key].as_str().expect("token").to_owned();
    Tokens {
        access: text("access_token"),
        refresh: text("refresh_token"),
        body,
    }
}

pub fn query_value(url: &Url, key: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// How a request is signed.
#[derive(Debug, Clone)]
pub enum Sign {
    Correct,
    Missing,
    Given(String),
    /// Signed as if the body were this one.
    OverBody(Vec<u8>),
}

/// A request to the API host, signed when sent.
pub struct Call<'a> {
    harness: &'a Harness,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    token: Option<String>,
    app_key: String,
    app_secret: String,
    timestamp: Option<i64>,
    sign: Sign,
}

impl Call<'_> {
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn cipher(self, cipher: &str) -> Self {
        self.query("shop_cipher", cipher)
    }

    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("json"));
        self
    }

    pub fn app(mut self, key: &str, secret: &str) -> Self {
        self.app_key = key.to_owned();
        self.app_secret = secret.to_owned();
        self
    }

    pub fn timestamp(mut self, timestamp: Option<i64>) -> Self {
        self.timestamp = timestamp;
        self
    }

    pub fn sign(mut self, sign: Sign) -> Self {
        self.sign = sign;
        self
    }

    pub async fn send(self) -> (StatusCode, HeaderMap, Value) {
        let mut query = vec![("app_key".to_owned(), self.app_key.clone())];
        if let Some(ts) = self.timestamp {
            query.push(("timestamp".into(), ts.to_string()));
        }
        query.extend(self.query);
        let signed_body = match &self.sign {
            Sign::OverBody(body) => Some(body.clone()),
            _ => self.body.clone(),
        };
        let correct = signing::request_signature(
            &self.app_secret,
            &self.path,
            query.iter().cloned(),
            signed_body.as_deref(),
        );
        match self.sign {
            Sign::Correct | Sign::OverBody(_) => query.push(("sign".into(), correct)),
            Sign::Given(given) => query.push(("sign".into(), given)),
            Sign::Missing => {}
        }
        let h = self.harness;
        let mut request = h
            .http
            .request(self.method, format!("{}/tiktok-shop/api{}", h.base, self.path))
            .query(&query);
        if let Some(token) = &self.token {
            request = request.header("x-tts-access-token", token);
        }
        if let Some(body) = self.body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.expect("API request");
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json().await.expect("json body"))
    }
}

/// The `code` of an envelope.
pub fn code_of(body: &Value) -> u64 {
    body["code"].as_u64().expect("numeric code")
}

//! Thin typed calls to the Ocean Sync API; errors carry the API's own message.

use anyhow::{Context, Result, bail};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl Client {
    pub fn new(api_url: &str, token: SecretString, integration: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let base = format!(
            "{}/api/integrations/{integration}/accounts",
            api_url.trim_end_matches('/')
        );
        Ok(Self { http, base, token })
    }

    /// Sends a request; returns the status and the `data` of the envelope, or the API's error message.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(StatusCode, Value)> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(self.token.expose_secret());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the API at {url}"))?;
        let status = response.status();
        let envelope: Value = response
            .json()
            .await
            .with_context(|| format!("{url} did not answer JSON"))?;
        if envelope["success"] == Value::Bool(true) {
            return Ok((status, envelope["data"].clone()));
        }
        let error = &envelope["error"];
        let mut message = error["message"].as_str().unwrap_or("unknown error").to_owned();
        if let Some(fields) = error["details"]["fields"].as_array() {
            for f in fields {
                message.push_str(&format!(
                    "\n  {}: {}",
                    f["field"].as_str().unwrap_or("?"),
                    f["reason"].as_str().unwrap_or("?")
                ));
            }
        }
        bail!("{status}: {message}")
    }

    pub async fn list_accounts(&self) -> Result<Value> {
        Ok(self.call(Method::GET, "", None).await?.1)
    }

    pub async fn sync(&self, id: i64) -> Result<()> {
        self.call(Method::POST, &format!("/{id}/sync"), None).await.map(drop)
    }

    pub async fn sync_all(&self) -> Result<u64> {
        Ok(self.call(Method::POST, "/sync-all", None).await?.1["queued"]
            .as_u64()
            .unwrap_or(0))
    }
}

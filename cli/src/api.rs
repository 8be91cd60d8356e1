//! Thin typed calls to the Ocean Sync API; errors carry the API's own message.

use anyhow::{Context, Result, bail};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub struct Client {
    http: reqwest::Client,
    api_url: String,
    /// `{api}/api/integrations/{integration}`.
    integration: String,
    /// The integration's accounts.
    base: String,
    token: SecretString,
}

impl Client {
    pub fn new(api_url: &str, token: SecretString, integration: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let api_url = api_url.trim_end_matches('/').to_owned();
        let integration = format!("{api_url}/api/integrations/{integration}");
        let base = format!("{integration}/accounts");
        Ok(Self {
            http,
            api_url,
            integration,
            base,
            token,
        })
    }

    /// The same API and token, for another integration.
    pub fn for_integration(&self, integration: &str) -> Result<Self> {
        Self::new(&self.api_url, self.token.clone(), integration)
    }

    /// Connects the shops of a consent integration as a seller's browser would: starts the flow, follows
    /// the marketplace's consent page to its redirect, and hands the code and state back to the API.
    /// Returns the connected shops.
    pub async fn connect_by_consent(&self) -> Result<Value> {
        let callback = format!("{}/callback", self.integration.replacen("/api/", "/", 1));
        let start = serde_json::json!({ "redirect_url": callback });
        let (_, started) = self
            .send(
                Method::POST,
                &format!("{}/authorizations", self.integration),
                Some(&start),
            )
            .await?;
        let consent_url = started["authorize_url"]
            .as_str()
            .context("no consent URL in the answer")?;
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let consent = browser
            .get(consent_url)
            .send()
            .await
            .context("cannot reach the consent page")?;
        let location = consent
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .context("the consent page did not redirect back")?;
        let back = reqwest::Url::parse(location).context("the consent page redirected to an invalid URL")?;
        let param = |key: &str| back.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
        if let Some(error) = param("error") {
            bail!("the marketplace refused the consent: {error}");
        }
        let finish = serde_json::json!({ "state": param("state"), "code": param("code") });
        let url = format!("{}/authorizations/callback", self.integration);
        Ok(self.send(Method::POST, &url, Some(&finish)).await?.1)
    }

    /// Sends a request to a path under the integration's accounts; returns the status and the `data` of
    /// the envelope, or the API's error message.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(StatusCode, Value)> {
        self.send(method, &format!("{}{path}", self.base), body).await
    }

    async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<(StatusCode, Value)> {
        let mut request = self.http.request(method, url).bearer_auth(self.token.expose_secret());
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

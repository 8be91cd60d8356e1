//! Settings of the TikTok Shop client. A section of its own so a binary can flatten it next to the
//! Tokopedia one; the defaults are the production hosts, and the client refuses to start without an app.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Validate;
use crate::marketplace::adaptive::AdaptiveLimitSettings;

/// Where the TikTok Shop Partner API lives and which app Ocean Sync is there.
#[derive(Args, Debug, Clone)]
pub struct TikTokShopSettings {
    /// Base URL of the API host (every region, Indonesia included): the production origin, or a prefix
    /// standing in for it (the simulator serves it under `/tiktok-shop/api`). A request is signed over
    /// its path below this URL, which is what the API host sees.
    #[arg(
        id = "tiktok-shop-api-base-url",
        long = "tiktok-shop-api-base-url",
        env = "OCEAN_TIKTOK_SHOP_API_BASE_URL",
        default_value = "https://open-api.tiktokglobalshop.com"
    )]
    pub api_base_url: String,
    /// Base URL of the token endpoints (`/api/v2/token/get` and `/refresh`): the production origin, or a
    /// prefix standing in for it (the simulator's `/tiktok-shop/auth`).
    #[arg(
        id = "tiktok-shop-auth-base-url",
        long = "tiktok-shop-auth-base-url",
        env = "OCEAN_TIKTOK_SHOP_AUTH_BASE_URL",
        default_value = "https://auth.tiktok-shops.com"
    )]
    pub auth_base_url: String,
    /// The app's key, from the TikTok Shop Partner Center. Empty: no TikTok Shop client.
    #[arg(
        id = "tiktok-shop-app-key",
        long = "tiktok-shop-app-key",
        env = "OCEAN_TIKTOK_SHOP_APP_KEY",
        default_value = ""
    )]
    pub app_key: String,
    /// The app's secret; it signs every request and travels in the token URLs.
    #[arg(
        id = "tiktok-shop-app-secret",
        long = "tiktok-shop-app-secret",
        env = "OCEAN_TIKTOK_SHOP_APP_SECRET",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub app_secret: SecretString,
    /// Timeout of one TikTok Shop HTTP request, in seconds.
    #[arg(
        id = "tiktok-shop-timeout-secs",
        long = "tiktok-shop-timeout-secs",
        env = "OCEAN_TIKTOK_SHOP_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub timeout_secs: u64,
    /// How many times a request that failed for a passing reason (internal error, timeout, connection
    /// error, 5xx) is retried, with exponential backoff and jitter from 200 ms up to 5 s.
    #[arg(
        id = "tiktok-shop-retries",
        long = "tiktok-shop-retries",
        env = "OCEAN_TIKTOK_SHOP_RETRIES",
        default_value_t = 3
    )]
    pub retries: usize,
    /// Order ids per order detail request; reported as at most 50, not confirmed.
    #[arg(
        id = "tiktok-shop-order-detail-batch",
        long = "tiktok-shop-order-detail-batch",
        env = "OCEAN_TIKTOK_SHOP_ORDER_DETAIL_BATCH",
        default_value_t = 50
    )]
    pub order_detail_batch: usize,
    /// How many times a call refused as over the limit (HTTP 429, code 36009002) is sent again, each after
    /// the wait the fleet's adaptive limit books for it, before the refusal goes to the caller. Only with
    /// a shared limiter (Redis); without one every refusal goes to the caller at once.
    #[arg(
        id = "tiktok-shop-max-429-retries",
        long = "tiktok-shop-max-429-retries",
        env = "OCEAN_TIKTOK_SHOP_MAX_429_RETRIES",
        default_value_t = 5
    )]
    pub max_429_retries: u32,
    /// The seller's consent page: production `https://services.tiktokshop.com/open/authorize` (asked
    /// with the app's service id), or the legacy `…/oauth/authorize` (asked with the app key, used when no
    /// service id is set).
    #[arg(
        id = "tiktok-shop-authorize-url",
        long = "tiktok-shop-authorize-url",
        env = "OCEAN_TIKTOK_SHOP_AUTHORIZE_URL",
        default_value = "https://services.tiktokshop.com/open/authorize"
    )]
    pub authorize_url: String,
    /// The app's service id from the Partner Center (consent page parameter).
    #[arg(
        id = "tiktok-shop-service-id",
        long = "tiktok-shop-service-id",
        env = "OCEAN_TIKTOK_SHOP_SERVICE_ID",
        default_value = ""
    )]
    pub service_id: String,
    /// Where the consent page sends the seller back: `https://{console host}/integrations/tiktok-shop/callback`
    /// of this deployment, as registered for the app. Empty: the console's own callback, from the host the
    /// browser used.
    #[arg(
        id = "tiktok-shop-redirect-url",
        long = "tiktok-shop-redirect-url",
        env = "OCEAN_TIKTOK_SHOP_REDIRECT_URL",
        default_value = ""
    )]
    pub redirect_url: String,
    /// Renew a shop's access token when it expires within this many seconds (tokens live about 7 days).
    #[arg(
        id = "tiktok-shop-refresh-margin-secs",
        long = "tiktok-shop-refresh-margin-secs",
        env = "OCEAN_TIKTOK_SHOP_REFRESH_MARGIN_SECS",
        default_value_t = 86_400
    )]
    pub refresh_margin_secs: u64,
    /// The fleet's adaptive limit per (app, shop, endpoint).
    #[command(flatten)]
    pub adaptive: AdaptiveLimitSettings,
}

impl TikTokShopSettings {
    /// Whether an app is configured (key and secret both set).
    pub fn has_app(&self) -> bool {
        !self.app_key.trim().is_empty() && !self.app_secret.expose_secret().trim().is_empty()
    }
}

impl Validate for TikTokShopSettings {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (variable, url) in [
            ("OCEAN_TIKTOK_SHOP_API_BASE_URL", &self.api_base_url),
            ("OCEAN_TIKTOK_SHOP_AUTH_BASE_URL", &self.auth_base_url),
            ("OCEAN_TIKTOK_SHOP_AUTHORIZE_URL", &self.authorize_url),
        ] {
            let base = reqwest::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none() && u.fragment().is_none());
            if !base {
                problems.push(format!(
                    "{variable} `{url}` is not an http(s) base URL (scheme, host, port, optional path; no query)"
                ));
            }
        }
        if self.app_key.trim().is_empty() != self.app_secret.expose_secret().trim().is_empty() {
            problems.push("OCEAN_TIKTOK_SHOP_APP_KEY and OCEAN_TIKTOK_SHOP_APP_SECRET must be set together".into());
        }
        if !self.redirect_url.is_empty()
            && !reqwest::Url::parse(&self.redirect_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            problems.push(format!(
                "OCEAN_TIKTOK_SHOP_REDIRECT_URL `{}` is not an http(s) URL",
                self.redirect_url
            ));
        }
        if self.order_detail_batch == 0 {
            problems.push("OCEAN_TIKTOK_SHOP_ORDER_DETAIL_BATCH must be at least 1".into());
        }
        problems.extend(self.adaptive.problems());
        problems
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings for tests: a closed local port, so nothing leaves the machine.
    pub(crate) fn settings(app_key: &str, app_secret: &str) -> TikTokShopSettings {
        TikTokShopSettings {
            api_base_url: "http://127.0.0.1:9".into(),
            auth_base_url: "http://127.0.0.1:9".into(),
            app_key: app_key.into(),
            app_secret: SecretString::from(app_secret.to_owned()),
            timeout_secs: 5,
            retries: 0,
            order_detail_batch: 50,
            max_429_retries: 5,
            authorize_url: "http://127.0.0.1:9/open/authorize".into(),
            service_id: String::new(),
            redirect_url: String::new(),
            refresh_margin_secs: 86_400,
            adaptive: AdaptiveLimitSettings::default(),
        }
    }

    #[test]
    fn base_urls_must_be_http_and_the_app_complete() {
        assert!(settings("k", "s").problems().is_empty());
        let mut prefixed = settings("k", "s");
        prefixed.api_base_url = "http://127.0.0.1:9/tiktok-shop/api".into();
        prefixed.auth_base_url = "http://127.0.0.1:9/tiktok-shop/auth/".into();
        assert!(prefixed.problems().is_empty(), "{:?}", prefixed.problems());
        let mut bad = settings("k", "");
        bad.api_base_url = "http://127.0.0.1:9/tiktok?x=1".into();
        bad.auth_base_url = "ftp://x".into();
        bad.order_detail_batch = 0;
        bad.adaptive.burst = 0;
        assert_eq!(bad.problems().len(), 5, "{:?}", bad.problems());
    }
}

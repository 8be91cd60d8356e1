//! Typed settings, one struct per concern. Each binary flattens the sections it needs into its clap
//! command line, so every setting is a flag and an environment variable with a documented default.
//! What clap's types cannot check (formats, lengths, ranges) each section says in [`Validate`], and
//! every binary's `Application::build` checks all its sections at once with [`validate`]: a bad value
//! stops the process at boot with one message per problem, each naming its variable.

use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::crypto::Keyring;

/// A section of settings with checks beyond its types.
pub trait Validate {
    /// Every problem of the section, each naming its variable and saying what is expected.
    fn problems(&self) -> Vec<String>;
}

/// Checks every section, reporting all problems at once so an operator fixes them in one round.
pub fn validate(sections: &[&dyn Validate]) -> anyhow::Result<()> {
    let problems: Vec<String> = sections.iter().flat_map(|s| s.problems()).collect();
    match problems.as_slice() {
        [] => Ok(()),
        [one] => anyhow::bail!("invalid setting: {one}"),
        many => anyhow::bail!("invalid settings:\n  - {}", many.join("\n  - ")),
    }
}

/// Postgres connection.
#[derive(Args, Debug, Clone)]
pub struct DatabaseSettings {
    /// Postgres URL.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/ocean_sync",
        hide_env_values = true
    )]
    pub database_url: SecretString,
    /// Largest number of pooled connections per process.
    #[arg(long = "db-max-connections", env = "OCEAN_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub max_connections: u32,
}

impl DatabaseSettings {
    /// Opens a pool; fails fast (5 s) when Postgres is unreachable.
    pub async fn connect(&self) -> anyhow::Result<PgPool> {
        use anyhow::Context;
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect(self.database_url.expose_secret())
            .await
            .context("Failed to connect to Postgres (DATABASE_URL)")
    }
}

impl Validate for DatabaseSettings {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        // The URL holds a password: the message never quotes it.
        if self
            .database_url
            .expose_secret()
            .parse::<sqlx::postgres::PgConnectOptions>()
            .is_err()
        {
            problems.push("DATABASE_URL is not a Postgres URL (postgres://user@host:port/database)".into());
        }
        if self.max_connections == 0 {
            problems.push("OCEAN_DB_MAX_CONNECTIONS must be at least 1".into());
        }
        problems
    }
}

/// Redis connection and the job queue that lives in it.
#[derive(Args, Debug, Clone)]
pub struct RedisSettings {
    /// Redis URL.
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379/",
        hide_env_values = true
    )]
    pub redis_url: SecretString,
    /// Name of the sync job queue; every api, scheduler and worker of one deployment must agree on it.
    /// It also prefixes every key the queue writes, so two deployments can share one Redis.
    #[arg(long = "queue-name", env = "OCEAN_QUEUE_NAME", default_value = "ocean:sync-accounts")]
    pub queue_name: String,
}

impl Validate for RedisSettings {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if redis::Client::open(self.redis_url.expose_secret()).is_err() {
            problems.push("REDIS_URL is not a Redis URL (redis://host:port/)".into());
        }
        if self.queue_name.trim().is_empty() {
            problems.push("OCEAN_QUEUE_NAME must not be empty".into());
        }
        problems
    }
}

/// Where the marketplace lives. Production: base `https://fs.tokopedia.net`, auth
/// `https://accounts.tokopedia.com/token`; the defaults point at the local simulator.
#[derive(Args, Debug, Clone)]
pub struct MarketplaceSettings {
    /// Base URL of the Tokopedia Open API.
    #[arg(
        long = "tokopedia-base-url",
        env = "OCEAN_TOKOPEDIA_BASE_URL",
        default_value = "http://127.0.0.1:8090"
    )]
    pub base_url: String,
    /// Token endpoint of Tokopedia's OAuth server.
    #[arg(
        long = "tokopedia-auth-url",
        env = "OCEAN_TOKOPEDIA_AUTH_URL",
        default_value = "http://127.0.0.1:8090/token"
    )]
    pub auth_url: String,
    /// Timeout of one marketplace HTTP request, in seconds.
    #[arg(
        long = "marketplace-timeout-secs",
        env = "OCEAN_MARKETPLACE_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub timeout_secs: u64,
    /// Requests per second allowed per (app, endpoint) from this process; the marketplace's documented
    /// default bucket is 5 req/s.
    #[arg(
        long = "marketplace-rate-per-sec",
        env = "OCEAN_MARKETPLACE_RATE_PER_SEC",
        default_value_t = 5
    )]
    pub rate_per_sec: u32,
    /// Burst of the marketplace's per (app, endpoint) bucket; the documented default is 5.
    #[arg(long = "marketplace-burst", env = "OCEAN_MARKETPLACE_BURST", default_value_t = 5)]
    pub burst: u32,
    /// Per-endpoint limits that differ from the default, as `endpoint=rate:burst,...`
    /// (endpoints: shop-info, product-info, stock-update, order-list, shipment-info). Limits the marketplace
    /// announces in `X-Ratelimit-Limit` replace these once seen.
    #[arg(
        long = "marketplace-endpoint-limits",
        env = "OCEAN_MARKETPLACE_ENDPOINT_LIMITS",
        default_value = ""
    )]
    pub endpoint_limits: String,
    /// Share of the marketplace's limit the fleet uses (0.1 to 1), leaving room for network jitter.
    #[arg(
        long = "marketplace-headroom",
        env = "OCEAN_MARKETPLACE_HEADROOM",
        default_value_t = 0.9
    )]
    pub headroom: f64,
    /// How many times a request that failed for a passing reason (timeout, connection error, upstream 5xx)
    /// is retried, with exponential backoff and jitter from 200 ms up to 5 s.
    #[arg(long = "marketplace-retries", env = "OCEAN_MARKETPLACE_RETRIES", default_value_t = 3)]
    pub retries: usize,
    /// How many times one request is retried after a 429 before the sync gives up.
    #[arg(
        long = "marketplace-max-429-retries",
        env = "OCEAN_MARKETPLACE_MAX_429_RETRIES",
        default_value_t = 5
    )]
    pub max_rate_limit_retries: u32,
}

impl Validate for MarketplaceSettings {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (variable, url) in [
            ("OCEAN_TOKOPEDIA_BASE_URL", &self.base_url),
            ("OCEAN_TOKOPEDIA_AUTH_URL", &self.auth_url),
        ] {
            if !reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                problems.push(format!("{variable} `{url}` is not an http(s) URL"));
            }
        }
        if !(0.1..=1.0).contains(&self.headroom) {
            problems.push("OCEAN_MARKETPLACE_HEADROOM must be between 0.1 and 1".into());
        }
        if let Err(e) = crate::marketplace::client::configured_limits(self) {
            problems.push(e.to_string());
        }
        problems
    }
}

/// Keys that seal account credentials at rest.
#[derive(Args, Debug, Clone)]
pub struct CryptoSettings {
    /// Comma-separated `key_id:base64(32 bytes)` list. The first key seals new secrets; the others only
    /// open secrets sealed before a rotation. Generate a key with `openssl rand -base64 32`.
    #[arg(long = "encryption-keys", env = "OCEAN_ENCRYPTION_KEYS", hide_env_values = true)]
    pub encryption_keys: SecretString,
}

impl CryptoSettings {
    /// The keys, parsed.
    pub fn keyring(&self) -> anyhow::Result<Keyring> {
        use anyhow::Context;
        Keyring::parse(&self.encryption_keys).context("Failed to parse OCEAN_ENCRYPTION_KEYS")
    }
}

impl Validate for CryptoSettings {
    fn problems(&self) -> Vec<String> {
        self.keyring().err().map(|e| format!("{e:#}")).into_iter().collect()
    }
}

//! Request budgets: this process's smoothing (`governor`), the fleet's shared schedule in Redis, and the
//! limits themselves (configured, then as the marketplace announces them).

use std::{collections::HashMap, time::Instant};

use reqwest::header::HeaderMap;

use super::TokopediaClient;
use crate::config::MarketplaceSettings;
use crate::marketplace::Endpoint;
use crate::marketplace::coordination::Limit;
use crate::monitoring;

impl TokopediaClient {
    /// The limit in force for (app, endpoint): announced by the marketplace, else configured.
    fn limit_for(&self, fs_id: u64, endpoint: Endpoint) -> Limit {
        let learned = self
            .learned
            .lock()
            .ok()
            .and_then(|l| l.get(&(fs_id, endpoint)).copied());
        learned
            .or_else(|| self.configured.get(&endpoint).copied())
            .unwrap_or(Limit {
                rate_per_sec: 5.0,
                burst: 5,
            })
    }

    /// Waits for this process's and then the fleet's turn to call (app, endpoint).
    pub(super) async fn wait_for_budget(&self, fs_id: u64, endpoint: Endpoint) {
        let started = Instant::now();
        self.wait_for_local_and_fleet_budget(fs_id, endpoint).await;
        metrics::histogram!(monitoring::RATE_LIMITER_WAIT, "endpoint" => endpoint.as_str())
            .record(started.elapsed().as_secs_f64());
    }

    async fn wait_for_local_and_fleet_budget(&self, fs_id: u64, endpoint: Endpoint) {
        self.limiter.until_key_ready(&(fs_id, endpoint)).await;
        let Some(coordination) = &self.coordination else { return };
        let limit = self.limit_for(fs_id, endpoint).with_headroom(self.headroom);
        match coordination.reserve(fs_id, endpoint.as_str(), limit).await {
            Ok(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
            Ok(_) => {}
            // Redis trouble must not stop syncs: fall back to this process's limiter and 429 handling.
            Err(e) => tracing::warn!(error.message = %e, "fleet rate limiter unavailable"),
        }
    }

    pub(super) fn learn_limit(&self, fs_id: u64, endpoint: Endpoint, headers: &HeaderMap) {
        let announced = headers
            .get("x-ratelimit-limit")
            .and_then(|v| v.to_str().ok())
            .and_then(Limit::from_header);
        if let (Some(limit), Ok(mut learned)) = (announced, self.learned.lock()) {
            learned.insert((fs_id, endpoint), limit);
        }
    }
}

/// The configured limit of every endpoint: the default, then the per-endpoint overrides.
pub(crate) fn configured_limits(settings: &MarketplaceSettings) -> anyhow::Result<HashMap<Endpoint, Limit>> {
    let default = Limit {
        rate_per_sec: f64::from(settings.rate_per_sec.max(1)),
        burst: settings.burst.max(1),
    };
    let mut limits: HashMap<Endpoint, Limit> = Endpoint::ALL.into_iter().map(|e| (e, default)).collect();
    for entry in settings
        .endpoint_limits
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let bad = || anyhow::anyhow!("OCEAN_MARKETPLACE_ENDPOINT_LIMITS entry `{entry}` is not `endpoint=rate:burst`");
        let (name, limit) = entry.split_once('=').ok_or_else(bad)?;
        let endpoint = Endpoint::parse(name.trim())
            .ok_or_else(|| anyhow::anyhow!("unknown endpoint `{name}` in OCEAN_MARKETPLACE_ENDPOINT_LIMITS"))?;
        let (rate, burst) = limit.split_once(':').ok_or_else(bad)?;
        let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        anyhow::ensure!(
            rate > 0.0 && burst > 0,
            "limits in OCEAN_MARKETPLACE_ENDPOINT_LIMITS must be positive"
        );
        limits.insert(
            endpoint,
            Limit {
                rate_per_sec: rate,
                burst,
            },
        );
    }
    Ok(limits)
}

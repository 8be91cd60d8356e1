//! What the phase needs besides its run: the simulator's app and the client's settings, the consents that
//! connect the shops, and reading the counters and learnt rates into periods.

use std::collections::BTreeMap;

use anyhow::Context;
use ocean_core::marketplace::tiktok_shop::{self, TikTokShopSettings};
use ocean_sim::tiktok_shop::{Endpoint, Stats};
use ocean_testkit::SimServer;
use secrecy::SecretString;

use super::*;

pub(super) fn api_url(sim: &SimServer) -> String {
    format!("{}/tiktok-shop/api", sim.base_url)
}

pub(super) fn auth_url(sim: &SimServer) -> String {
    format!("{}/tiktok-shop/auth", sim.base_url)
}

/// The client's settings as the workers read them, pointed at the simulator's app.
pub(super) fn tiktok_settings(sim: &SimServer) -> TikTokShopSettings {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        tiktok_shop: TikTokShopSettings,
    }
    let mut settings = <Defaults as clap::Parser>::parse_from(["ocean-worker"]).tiktok_shop;
    settings.api_base_url = api_url(sim);
    settings.auth_base_url = auth_url(sim);
    settings.app_key = APP_KEY.into();
    settings.app_secret = SecretString::from(APP_SECRET.to_owned());
    settings
}

/// One seller's consent for `batch` on the simulator's page, then the production client's connect: the
/// code exchanged for tokens and the authorized shops listed with their ciphers. A refusal as over the
/// limit (the listing is limited per app) spends the code, so it consents again after a pause.
pub(super) async fn connect(
    sim: &SimServer,
    adapter: &tiktok_shop::Adapter,
    batch: &[ShopConfig],
) -> anyhow::Result<Vec<tiktok_shop::Connection>> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("Failed to build the consent client")?;
    let shop_ids: Vec<String> = batch.iter().map(|s| s.shop_id.to_string()).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = browser
            .get(format!("{}/oauth/authorize", auth_url(sim)))
            .query(&[
                ("app_key", APP_KEY),
                ("state", "x"),
                ("redirect_uri", "http://127.0.0.1/cb"),
                ("shop_id", &shop_ids.join(",")),
            ])
            .send()
            .await
            .context("Failed to open the consent page")?;
        anyhow::ensure!(
            answer.status() == reqwest::StatusCode::FOUND,
            "the consent page answered {}",
            answer.status()
        );
        let location = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .context("the consent page did not redirect")?;
        let back = reqwest::Url::parse(location).context("the consent redirect is no URL")?;
        let code = back
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| SecretString::from(v.into_owned()))
            .with_context(|| format!("the consent redirect carries no code: {}", back.path()))?;
        match adapter.connect(&code).await {
            Ok(connections) => return Ok(connections),
            Err(e) if attempt < 5 => {
                tracing::warn!(error.message = %e, attempt, "connect failed; consenting again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => anyhow::bail!("connecting {} shops failed: {e}", batch.len()),
        }
    }
}

/// Syncs holding a lease now: each is a shop walking its order windows, i.e. a busy `order-search` key.
pub(super) async fn syncs_in_flight(phase: &Phase) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM integration_accounts WHERE lease_owner IS NOT NULL AND lease_expires_at > now()",
    )
    .fetch_one(&phase.pool)
    .await
    .context("Failed to count the syncs in flight")
}

/// The Redis key of a shop endpoint's adaptive state, as `AdaptiveKey` names it under the queue's
/// `:market` prefix (`<queue>:market:adaptive:<app>:<cipher>:<endpoint>`).
pub(super) fn adaptive_key(queue_name: &str, cipher: &str, endpoint: &str) -> String {
    format!(
        "{queue_name}:market:adaptive:{APP_KEY}:{}:{endpoint}",
        cipher.replace(':', "_")
    )
}

/// The learnt rates of the keys that have one (a key without state is at the ceiling and not counted).
pub(super) async fn learnt_rates(
    redis: &mut redis::aio::ConnectionManager,
    keys: &[String],
) -> anyhow::Result<Vec<f64>> {
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("HGET").arg(key).arg("rate");
    }
    let rates: Vec<Option<String>> = pipe
        .query_async(redis)
        .await
        .context("Failed to read the learnt rates")?;
    Ok(rates.into_iter().flatten().filter_map(|r| r.parse().ok()).collect())
}

pub(super) fn spread(values: &[f64]) -> Option<[f64; 3]> {
    if values.is_empty() {
        return None;
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some([min, values.iter().sum::<f64>() / values.len() as f64, max])
}

/// Accepted and refused requests of the busy endpoint between two snapshots.
pub(super) fn busy_counts(from: &Stats, to: &Stats) -> (u64, u64) {
    let get = |m: &BTreeMap<String, u64>| m.get(BUSY_ENDPOINT).copied().unwrap_or(0);
    let requests = get(&to.requests).saturating_sub(get(&from.requests));
    let refused = get(&to.rate_limited).saturating_sub(get(&from.rate_limited));
    (requests.saturating_sub(refused), refused)
}

pub(super) fn period(from: &Stats, to: &Stats, secs: f64, busy_key_secs: f64, rate: u32, learnt: &[f64]) -> Period {
    let delta = |m: fn(&Stats) -> &BTreeMap<String, u64>, name: &str| {
        let get = |s: &Stats| m(s).get(name).copied().unwrap_or(0);
        get(to).saturating_sub(get(from))
    };
    let endpoints: BTreeMap<String, Counts> = Endpoint::ALL
        .iter()
        .map(|e| {
            let counts = Counts {
                requests: delta(|s| &s.requests, e.name()),
                rate_limited: delta(|s| &s.rate_limited, e.name()),
            };
            (e.name().to_owned(), counts)
        })
        .filter(|(_, c)| c.requests > 0)
        .collect();
    let requests = endpoints.values().map(|c| c.requests).sum::<u64>();
    let rate_limited = endpoints.values().map(|c| c.rate_limited).sum::<u64>();
    let (busy_accepted, _) = busy_counts(from, to);
    let per_key_rate = if busy_key_secs > 0.0 {
        busy_accepted as f64 / busy_key_secs
    } else {
        0.0
    };
    Period {
        secs,
        busy_key_secs,
        mean_busy_keys: busy_key_secs / secs.max(0.001),
        busy_accepted,
        per_key_rate,
        share_of_limit: per_key_rate / f64::from(rate),
        requests,
        rate_limited,
        share_429: rate_limited as f64 / requests.max(1) as f64,
        endpoints,
        learnt_rate: spread(learnt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redis_key_is_the_clients() {
        assert_eq!(
            adaptive_key("bench:x:sync", "ROW_a:b", "order-search"),
            "bench:x:sync:market:adaptive:6benchtiktokapp:ROW_a_b:order-search"
        );
    }
}

//! State the whole worker fleet shares in Redis: request budgets per (app, endpoint), adaptive budgets
//! where the marketplace publishes no limit, and one access token per app. Without it, every pod would
//! spend the marketplace's per-app budget on its own (adding pods would add 429s) and ask for its own
//! token.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};

use super::adaptive::{AdaptiveKey, AdaptivePolicy, AdaptiveScripts, Adjustment};
use crate::crypto::Keyring;

/// A marketplace rate limit: a bucket of `burst` requests refilled at `rate_per_sec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rate_per_sec: f64,
    pub burst: u32,
}

impl Limit {
    /// Parses the marketplace's `X-Ratelimit-Limit` header, e.g. `5 req/s (burst 5)`.
    pub fn from_header(value: &str) -> Option<Self> {
        let (rate, rest) = value.trim().split_once(" req/s")?;
        let burst = rest.trim().strip_prefix("(burst")?.trim().strip_suffix(')')?.trim();
        let rate: f64 = rate.trim().parse().ok()?;
        let burst: u32 = burst.parse().ok()?;
        (rate > 0.0 && burst > 0).then_some(Self {
            rate_per_sec: rate,
            burst,
        })
    }

    /// The limit this fleet aims for: a little under the marketplace's, because requests spaced exactly at
    /// its rate can still arrive bunched after network jitter.
    pub fn with_headroom(self, headroom: f64) -> Self {
        Self {
            rate_per_sec: (self.rate_per_sec * headroom).max(0.1),
            burst: self.burst.saturating_sub(1).max(1),
        }
    }
}

/// Lua shared by the fleet's limiter scripts. `now_ms()` reads Redis `TIME`, the one clock of the fleet,
/// so pods' clock skew does not matter. `book` is GCRA with reservations: it books the next free slot of
/// a schedule whose theoretical arrival time is `tat` (ms), `interval` ms apart with `tolerance` ms of
/// burst, and returns the wait before that slot and the schedule's next `tat`. Booking instead of polling
/// keeps waiting callers in arrival order. No slot is earlier than `not_before` (a marketplace's
/// `Retry-After`), and the first slots after it come one `interval` apart, not as a burst.
pub(crate) const GCRA_LUA: &str = r#"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function book(tat, now, interval, tolerance, not_before)
  if tat < now then tat = now end
  if tat < not_before + tolerance then tat = not_before + tolerance end
  local wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  return wait, tat + interval
end
"#;

/// The schedule of one (app, endpoint) under its announced or configured limit.
const RESERVE: &str = r#"
local now = now_ms()
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local wait, next_tat = book(tonumber(redis.call('GET', KEYS[1]) or '0'), now, interval, tolerance, 0)
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return tostring(wait)
"#;

/// What the processes coordinate through Redis: the fleet-wide limiter and the token cache, under one key
/// prefix (the queue name, so deployments and tests that share a Redis stay apart).
#[derive(Clone)]
pub struct Coordination {
    conn: ConnectionManager,
    prefix: String,
    keyring: Keyring,
    reserve: redis::Script,
    adaptive: AdaptiveScripts,
}

impl Coordination {
    pub fn new(conn: ConnectionManager, prefix: &str, keyring: Keyring) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:market"),
            keyring,
            reserve: redis::Script::new(&format!("{GCRA_LUA}{RESERVE}")),
            adaptive: AdaptiveScripts::new(),
        }
    }

    /// Books the next request slot of (app, endpoint) under `limit`; returns the wait before sending.
    pub async fn reserve(&self, fs_id: u64, endpoint: &str, limit: Limit) -> redis::RedisResult<Duration> {
        let interval_ms = 1000.0 / limit.rate_per_sec;
        let tolerance_ms = interval_ms * f64::from(limit.burst.saturating_sub(1));
        let mut conn = self.conn.clone();
        let wait: String = self
            .reserve
            .key(format!("{}:gcra:{fs_id}:{endpoint}", self.prefix))
            .arg(interval_ms)
            .arg(tolerance_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(Duration::from_secs_f64(
            wait.parse::<f64>().unwrap_or(0.0).max(0.0) / 1000.0,
        ))
    }

    /// Books the next request slot of `key` at its current adaptive rate (see [`super::adaptive`]), never
    /// before a `Retry-After` the marketplace gave for it; returns the wait before sending.
    pub async fn reserve_adaptive(&self, key: &AdaptiveKey, policy: &AdaptivePolicy) -> redis::RedisResult<Duration> {
        let mut conn = self.conn.clone();
        self.adaptive.reserve(&mut conn, &self.prefix, key, policy).await
    }

    /// The marketplace refused a request of `key` as over its limit: lowers the key's rate for the fleet
    /// (once per cooldown) and holds every caller of the key until `retry_after`, when given.
    pub async fn report_throttled(
        &self,
        key: &AdaptiveKey,
        retry_after: Option<Duration>,
        policy: &AdaptivePolicy,
    ) -> redis::RedisResult<Adjustment> {
        let mut conn = self.conn.clone();
        self.adaptive
            .throttled(&mut conn, &self.prefix, key, retry_after, policy)
            .await
    }

    /// The marketplace answered a request of `key` within its limit: probes the key's rate upward (once per
    /// probe interval, up to the ceiling).
    pub async fn report_success(&self, key: &AdaptiveKey, policy: &AdaptivePolicy) -> redis::RedisResult<Adjustment> {
        let mut conn = self.conn.clone();
        self.adaptive.succeeded(&mut conn, &self.prefix, key, policy).await
    }

    /// The rate `key` is booked at now, in req/s: the ceiling while the fleet has learnt nothing lower.
    pub async fn adaptive_rate(&self, key: &AdaptiveKey, policy: &AdaptivePolicy) -> redis::RedisResult<f64> {
        let mut conn = self.conn.clone();
        AdaptiveScripts::rate(&mut conn, &self.prefix, key, policy).await
    }

    fn token_key(&self, client_id: &str) -> String {
        format!("{}:token:{client_id}", self.prefix)
    }

    /// The app's shared token and its remaining lifetime, if a live one is cached. Tokens are sealed with
    /// the credential keyring: a Redis dump does not hand out marketplace access.
    pub async fn cached_token(&self, client_id: &str) -> redis::RedisResult<Option<(SecretString, Duration)>> {
        let mut conn = self.conn.clone();
        let key = self.token_key(client_id);
        let (value, ttl_ms): (Option<String>, i64) = redis::pipe()
            .get(&key)
            .cmd("PTTL")
            .arg(&key)
            .query_async(&mut conn)
            .await?;
        let Some(value) = value.filter(|_| ttl_ms > 0) else {
            return Ok(None);
        };
        let Some((key_id, sealed)) = value.split_once(':') else {
            return Ok(None);
        };
        let opened = STANDARD
            .decode(sealed)
            .ok()
            .and_then(|bytes| self.keyring.open(key_id, &bytes).ok());
        Ok(opened
            .and_then(|plain| String::from_utf8(plain).ok())
            .map(|token| (SecretString::from(token), Duration::from_millis(ttl_ms as u64))))
    }

    /// Shares a fresh token for `lifetime`.
    pub async fn store_token(
        &self,
        client_id: &str,
        token: &SecretString,
        lifetime: Duration,
    ) -> redis::RedisResult<()> {
        if lifetime.is_zero() {
            return Ok(());
        }
        let sealed = self.keyring.seal(token.expose_secret().as_bytes());
        let value = format!("{}:{}", sealed.key_id, STANDARD.encode(&sealed.bytes));
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.token_key(client_id))
            .arg(value)
            .arg("PX")
            .arg(lifetime.as_millis() as u64)
            .query_async::<()>(&mut conn)
            .await
    }

    /// Drops the shared token (the marketplace refused it).
    pub async fn forget_token(&self, client_id: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.token_key(client_id))
            .query_async::<()>(&mut conn)
            .await
    }

    /// Tries to become the one process that fetches the app's token; the lock expires by itself.
    pub async fn lock_token_refresh(&self, client_id: &str, holder: &str) -> redis::RedisResult<bool> {
        let mut conn = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:lock", self.token_key(client_id)))
            .arg(holder)
            .arg("NX")
            .arg("PX")
            .arg(10_000)
            .query_async(&mut conn)
            .await?;
        Ok(set.is_some())
    }

    pub async fn unlock_token_refresh(&self, client_id: &str) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(format!("{}:lock", self.token_key(client_id)))
            .query_async::<()>(&mut conn)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marketplace_limit_header_parses() {
        assert_eq!(
            Limit::from_header("5 req/s (burst 5)"),
            Some(Limit {
                rate_per_sec: 5.0,
                burst: 5
            })
        );
        assert_eq!(
            Limit::from_header("0.5 req/s (burst 2)"),
            Some(Limit {
                rate_per_sec: 0.5,
                burst: 2
            })
        );
        assert_eq!(Limit::from_header("lots"), None);
        assert_eq!(Limit::from_header("0 req/s (burst 5)"), None);
    }

    #[test]
    fn headroom_stays_under_the_marketplace() {
        let ours = Limit {
            rate_per_sec: 5.0,
            burst: 5,
        }
        .with_headroom(0.9);
        assert_eq!(
            ours,
            Limit {
                rate_per_sec: 4.5,
                burst: 4
            }
        );
        assert_eq!(
            Limit {
                rate_per_sec: 1.0,
                burst: 1
            }
            .with_headroom(0.9)
            .burst,
            1
        );
    }
}

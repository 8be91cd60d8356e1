//! A fleet-wide adaptive rate limit, for marketplaces that publish no limits. TikTok Shop publishes no QPS
//! table: its only signal is HTTP 429 (code 36009002), sometimes with `Retry-After`, and the one reported
//! figure is "50 requests per second" per store. So the fleet learns each key's rate from the answers it
//! gets, in Redis, shared by every worker pod, and books requests under that rate like the GCRA schedule of
//! the announced limits ([`Coordination::reserve`](super::coordination::Coordination::reserve)).
//!
//! # Algorithm
//!
//! One Redis hash per key (for TikTok Shop: app, shop, endpoint) holds the key's current rate, its GCRA
//! schedule, the time of its last decrease, the successes counted since, whether it was ever raised, and
//! a hold. Three Lua scripts change it, each
//! atomically and with Redis `TIME` as the one clock:
//!
//! - **reserve** books the next slot of the key's schedule at its *current* rate (the ceiling while the key
//!   has no state), never before the hold, and returns the wait before sending.
//! - **throttled** (a 429): multiplicative decrease, not below `floor`, at most once per `cooldown`: every
//!   request already in flight or booked when the marketplace started refusing comes back 429 too, from
//!   several pods, and those echoes must not cut the rate again and again down to the floor. While the
//!   key is still descending from the ceiling (it has not been raised yet) a cut halves the rate
//!   (`decrease`), so the first minute finds the limit in a few cuts; once it has been raised, a cut
//!   trims it (`trim`), since the limit is then known to be close. A `Retry-After` holds every caller of
//!   the key until then (the latest hold wins), and the first slots after the hold come one interval
//!   apart, not as a burst.
//! - **success**: multiplicative increase by successes, not by time. Every `probe_successes` accepted
//!   requests of the key (counted fleet-wide in its hash) raise the rate by `increase` of itself, never
//!   above the `ceiling`; a cut restarts the count. Probing by successes makes the time between two 429s
//!   grow with the limit (about `probe_successes / increase × ln(1 / trim)` requests per refusal), so the
//!   share of refused requests is the same at 2 req/s as at 40, where a fixed step per second refused a
//!   larger share the lower the limit (bench `tiktok-limits`).
//!
//! Every write renews the hash's TTL: `idle_ttl`, or longer while a booked slot or a hold lies further
//! ahead. An idle key disappears and starts again from the ceiling.
//!
//! # Constants (the defaults of [`AdaptiveLimitSettings`])
//!
//! - `ceiling` 50 req/s: the figure reported per store. An operator lowers it (or raises it, once measured).
//! - `decrease` 0.5 on the first descent: from 50 req/s it reaches any real limit of 1 req/s or more
//!   within six 429 bursts.
//! - `trim` 0.8 afterwards: a 429 at the learnt rate means the limit is a little below it; halving there
//!   would give away a quarter of the budget on average for nothing.
//! - `floor` 1 req/s: a burst of spurious 429s must not stop syncs; one request a second still moves a
//!   shop's sync forward while probing lifts the rate again.
//! - `cooldown` 2 s: longer than a request's usual round trip (well under a second) plus the slots booked
//!   just before the first 429, so one burst cuts once; short enough that a rate still too high after
//!   halving is cut again within seconds.
//! - `increase` 2 % per `probe_successes` 25: from a trim to the limit again takes about 280 accepted
//!   requests, so a key at its limit meets about one 429 in 300 requests (0.3 %) while it averages about
//!   90 % of the limit; at 10 req/s that is one probe every 2.5 s.
//! - `burst` 1: the shape of the marketplace's bucket is unknown, and evenly spaced requests trip no
//!   window of any size; a burst would only save the first few requests of a sync a few milliseconds.
//! - `idle_ttl` 10 min: long enough to carry a learnt rate across one shop's consecutive syncs, short
//!   enough that keys of departed shops and endpoints do not pile up in Redis.
//!
//! # Failure
//!
//! The callers treat Redis errors like the GCRA schedule's: they log and go on without the fleet's budget,
//! with the marketplace's 429 handling still in place.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::coordination::GCRA_LUA;

mod settings;

pub use settings::AdaptiveLimitSettings;

/// What the adaptive limit is kept per: for TikTok Shop, the app, the shop and the endpoint (the API
/// path). Each part should be free of `:`, which separates them in the Redis key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdaptiveKey {
    pub app: String,
    pub shop: String,
    pub endpoint: String,
}

impl AdaptiveKey {
    pub fn new(app: impl Into<String>, shop: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Self {
            app: app.into(),
            shop: shop.into(),
            endpoint: endpoint.into(),
        }
    }

    fn redis_key(&self, prefix: &str) -> String {
        format!("{prefix}:adaptive:{}:{}:{}", self.app, self.shop, self.endpoint)
    }
}

/// How an adaptive limit moves; see the module docs for the algorithm and the defaults' reasons. Every
/// call carries it, so Redis holds only state and a new policy applies from the next call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptivePolicy {
    /// The rate a key starts from and never exceeds, in req/s.
    pub ceiling: f64,
    /// The rate a decrease never goes below, in req/s.
    pub floor: f64,
    /// The factor a 429 multiplies the rate by while the key descends from the ceiling, between 0 and 1.
    pub decrease: f64,
    /// The factor a 429 multiplies the rate by once the key has been raised, between 0 and 1.
    pub trim: f64,
    /// After a decrease, 429s of the key are not cut again for this long.
    pub cooldown: Duration,
    /// The share of itself the rate grows by per step (0.02: 2 %).
    pub increase: f64,
    /// Accepted requests of the key per step up.
    pub probe_successes: u32,
    /// Requests a key may send at once.
    pub burst: u32,
    /// How long an untouched key keeps its state.
    pub idle_ttl: Duration,
}

impl Default for AdaptivePolicy {
    fn default() -> Self {
        Self {
            ceiling: 50.0,
            floor: 1.0,
            decrease: 0.5,
            trim: 0.8,
            cooldown: Duration::from_secs(2),
            increase: 0.02,
            probe_successes: 25,
            burst: 1,
            idle_ttl: Duration::from_secs(600),
        }
    }
}

/// A key's rate after a report, and whether the report moved it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adjustment {
    pub rate_per_sec: f64,
    pub changed: bool,
}

/// Lua the adaptive scripts share beyond [`GCRA_LUA`]: the key's current rate (the ceiling while it has
/// none, and never above it), and the TTL renewal (idle TTL, or longer while `until_ms` lies further ahead).
const ADAPTIVE_LUA: &str = r#"
local function current_rate(stored, ceiling)
  local rate = tonumber(stored) or ceiling
  if rate > ceiling then rate = ceiling end
  return rate
end
local function keep(key, now, idle_ms, until_ms)
  local ttl = math.max(idle_ms, math.ceil(until_ms - now) + 1000)
  redis.call('PEXPIRE', key, ttl)
end
"#;

/// ARGV: ceiling, burst, idle TTL (ms). Returns the wait (ms) before the booked slot.
const RESERVE: &str = r#"
local now = now_ms()
local s = redis.call('HMGET', KEYS[1], 'rate', 'tat', 'hold')
local interval = 1000 / current_rate(s[1], tonumber(ARGV[1]))
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local hold = tonumber(s[3]) or 0
local wait, tat = book(tonumber(s[2]) or 0, now, interval, tolerance, hold)
redis.call('HSET', KEYS[1], 'tat', tostring(tat))
keep(KEYS[1], now, tonumber(ARGV[3]), math.max(tat, hold))
return tostring(wait)
"#;

/// ARGV: ceiling, floor, decrease, trim, cooldown (ms), Retry-After (ms, negative: none), idle TTL (ms).
/// Returns the rate and 1 when it was lowered. A key that has been raised (`raised`) is trimmed, one still
/// descending from the ceiling is cut by `decrease`; a cut restarts the count of successes (`ok`).
const THROTTLED: &str = r#"
local now = now_ms()
local s = redis.call('HMGET', KEYS[1], 'rate', 'cut', 'hold', 'tat', 'raised')
local rate = current_rate(s[1], tonumber(ARGV[1]))
local cut = tonumber(s[2])
local changed = 0
if not cut or now - cut >= tonumber(ARGV[5]) then
  local factor = tonumber(ARGV[3])
  if s[5] then factor = tonumber(ARGV[4]) end
  local lowered = math.max(rate * factor, tonumber(ARGV[2]))
  if lowered < rate then changed = 1 end
  rate = lowered
  redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'cut', tostring(now), 'ok', '0')
end
local hold = tonumber(s[3]) or 0
local retry = tonumber(ARGV[6])
if retry >= 0 and now + retry > hold then
  hold = now + retry
  redis.call('HSET', KEYS[1], 'hold', tostring(hold))
end
keep(KEYS[1], now, tonumber(ARGV[7]), math.max(hold, tonumber(s[4]) or 0))
return {tostring(rate), changed}
"#;

/// ARGV: ceiling, increase (share), successes per step, idle TTL (ms). Returns the rate and 1 when it was
/// raised. A key without state is at its ceiling: nothing to write.
const SUCCEEDED: &str = r#"
local s = redis.call('HMGET', KEYS[1], 'rate', 'ok', 'hold', 'tat')
local ceiling = tonumber(ARGV[1])
if not s[1] then return {tostring(ceiling), 0} end
local now = now_ms()
local rate = current_rate(s[1], ceiling)
local changed = 0
if rate < ceiling then
  local ok = (tonumber(s[2]) or 0) + 1
  if ok >= tonumber(ARGV[3]) then
    rate = math.min(rate * (1 + tonumber(ARGV[2])), ceiling)
    changed = 1
    redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'ok', '0', 'raised', '1')
  else
    redis.call('HSET', KEYS[1], 'ok', tostring(ok))
  end
end
keep(KEYS[1], now, tonumber(ARGV[4]), math.max(tonumber(s[3]) or 0, tonumber(s[4]) or 0))
return {tostring(rate), changed}
"#;

/// The adaptive limiter's scripts, loaded once per [`Coordination`](super::coordination::Coordination).
#[derive(Clone)]
pub(crate) struct AdaptiveScripts {
    reserve: redis::Script,
    throttled: redis::Script,
    succeeded: redis::Script,
}

impl AdaptiveScripts {
    pub(crate) fn new() -> Self {
        let script = |body: &str| redis::Script::new(&format!("{GCRA_LUA}{ADAPTIVE_LUA}{body}"));
        Self {
            reserve: script(RESERVE),
            throttled: script(THROTTLED),
            succeeded: script(SUCCEEDED),
        }
    }

    pub(crate) async fn reserve(
        &self,
        conn: &mut ConnectionManager,
        prefix: &str,
        key: &AdaptiveKey,
        policy: &AdaptivePolicy,
    ) -> redis::RedisResult<Duration> {
        let wait: String = self
            .reserve
            .key(key.redis_key(prefix))
            .arg(policy.ceiling)
            .arg(policy.burst.max(1))
            .arg(millis(policy.idle_ttl))
            .invoke_async(conn)
            .await?;
        Ok(Duration::from_secs_f64(parse_rate(&wait).max(0.0) / 1000.0))
    }

    pub(crate) async fn throttled(
        &self,
        conn: &mut ConnectionManager,
        prefix: &str,
        key: &AdaptiveKey,
        retry_after: Option<Duration>,
        policy: &AdaptivePolicy,
    ) -> redis::RedisResult<Adjustment> {
        let reply: (String, u8) = self
            .throttled
            .key(key.redis_key(prefix))
            .arg(policy.ceiling)
            .arg(policy.floor)
            .arg(policy.decrease)
            .arg(policy.trim)
            .arg(millis(policy.cooldown))
            .arg(retry_after.map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
            .arg(millis(policy.idle_ttl))
            .invoke_async(conn)
            .await?;
        Ok(adjustment(reply))
    }

    pub(crate) async fn succeeded(
        &self,
        conn: &mut ConnectionManager,
        prefix: &str,
        key: &AdaptiveKey,
        policy: &AdaptivePolicy,
    ) -> redis::RedisResult<Adjustment> {
        let reply: (String, u8) = self
            .succeeded
            .key(key.redis_key(prefix))
            .arg(policy.ceiling)
            .arg(policy.increase)
            .arg(policy.probe_successes.max(1))
            .arg(millis(policy.idle_ttl))
            .invoke_async(conn)
            .await?;
        Ok(adjustment(reply))
    }

    pub(crate) async fn rate(
        conn: &mut ConnectionManager,
        prefix: &str,
        key: &AdaptiveKey,
        policy: &AdaptivePolicy,
    ) -> redis::RedisResult<f64> {
        let stored: Option<String> = redis::cmd("HGET")
            .arg(key.redis_key(prefix))
            .arg("rate")
            .query_async(conn)
            .await?;
        Ok(stored.map_or(policy.ceiling, |r| parse_rate(&r).min(policy.ceiling)))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn parse_rate(value: &str) -> f64 {
    value.parse::<f64>().unwrap_or(0.0)
}

fn adjustment((rate, changed): (String, u8)) -> Adjustment {
    Adjustment {
        rate_per_sec: parse_rate(&rate),
        changed: changed == 1,
    }
}

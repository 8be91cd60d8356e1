//! The fleet's adaptive limit in a real Redis (`REDIS_URL`, default local). Each test works under a key
//! prefix of its own and deletes its keys at the end. Assertions are on the state the fleet shares and on
//! the order of booked slots; waits are compared with lower bounds that already subtract the time the test
//! itself took, so a loaded machine cannot fail them.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use ocean_core::crypto::Keyring;
use ocean_core::marketplace::adaptive::{AdaptiveKey, AdaptivePolicy};
use ocean_core::marketplace::coordination::{Coordination, Limit};
use rand::RngCore;
use redis::aio::ConnectionManager;
use secrecy::SecretString;

/// Rounding of Redis `TIME` (µs) into ms and of ms into `Duration`s.
const ROUNDING: Duration = Duration::from_millis(2);

struct Fleet {
    coordination: Coordination,
    conn: ConnectionManager,
    prefix: String,
}

impl Fleet {
    async fn start() -> Self {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
        let client = redis::Client::open(url).expect("a Redis URL");
        let conn = ConnectionManager::new(client)
            .await
            .expect("Redis must run on REDIS_URL");
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let keyring = Keyring::parse(&SecretString::from(format!("test:{}", STANDARD.encode(key)))).unwrap();
        let prefix = format!("test:{:016x}", rand::rng().next_u64());
        Self {
            coordination: Coordination::new(conn.clone(), &prefix, keyring),
            conn,
            prefix,
        }
    }

    /// Every key this test wrote.
    async fn keys(&self) -> Vec<String> {
        let mut conn = self.conn.clone();
        redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    async fn clean_up(self) {
        let keys = self.keys().await;
        if !keys.is_empty() {
            let mut conn = self.conn.clone();
            redis::cmd("DEL").arg(keys).query_async::<()>(&mut conn).await.unwrap();
        }
    }
}

fn shop(id: &str) -> AdaptiveKey {
    AdaptiveKey::new("app-1", id, "/order/202309/orders/search")
}

/// A policy whose cooldown outlasts any test, so every cut after the first would be an echo; each
/// success raises the rate by a quarter (exact in binary, so rates compare exactly).
fn long_cooldown() -> AdaptivePolicy {
    AdaptivePolicy {
        ceiling: 50.0,
        cooldown: Duration::from_secs(600),
        probe_successes: 1,
        increase: 0.25,
        ..AdaptivePolicy::default()
    }
}

#[tokio::test]
async fn a_429_halves_the_rate_and_its_echoes_within_the_cooldown_do_not() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = long_cooldown();
    let key = shop("s1");
    assert_eq!(c.adaptive_rate(&key, &policy).await.unwrap(), 50.0);

    let first = c.report_throttled(&key, None, &policy).await.unwrap();
    assert!(first.changed);
    assert_eq!(first.rate_per_sec, 25.0);
    assert_eq!(c.adaptive_rate(&key, &policy).await.unwrap(), 25.0);

    // The same burst, reported by another pod.
    let echo = c.report_throttled(&key, None, &policy).await.unwrap();
    assert!(!echo.changed);
    assert_eq!(c.adaptive_rate(&key, &policy).await.unwrap(), 25.0);
    fleet.clean_up().await;
}

#[tokio::test]
async fn repeated_429s_after_each_cooldown_stop_at_the_floor() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = AdaptivePolicy {
        ceiling: 8.0,
        floor: 1.5,
        cooldown: Duration::ZERO,
        ..AdaptivePolicy::default()
    };
    let key = shop("s1");
    let mut rates = Vec::new();
    for _ in 0..5 {
        rates.push(c.report_throttled(&key, None, &policy).await.unwrap().rate_per_sec);
    }
    assert_eq!(rates, [4.0, 2.0, 1.5, 1.5, 1.5]);
    fleet.clean_up().await;
}

#[tokio::test]
async fn successes_raise_the_rate_back_to_the_ceiling_and_not_above() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = long_cooldown();
    let key = shop("s1");
    c.report_throttled(&key, None, &policy).await.unwrap();

    let mut rates = Vec::new();
    for _ in 0..8 {
        rates.push(c.report_success(&key, &policy).await.unwrap().rate_per_sec);
    }
    assert_eq!(rates, [31.25, 39.0625, 48.828125, 50.0, 50.0, 50.0, 50.0, 50.0]);
    assert_eq!(c.adaptive_rate(&key, &policy).await.unwrap(), 50.0);
    // A key the fleet knows nothing about is at its ceiling already and gets no state from a success.
    let untouched = c.report_success(&shop("s2"), &policy).await.unwrap();
    assert_eq!((untouched.rate_per_sec, untouched.changed), (50.0, false));
    assert_eq!(fleet.keys().await.len(), 1);
    fleet.clean_up().await;
}

#[tokio::test]
async fn increases_wait_for_enough_successes_and_a_cut_restarts_the_count() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = AdaptivePolicy {
        probe_successes: 3,
        cooldown: Duration::ZERO,
        ..long_cooldown()
    };
    let key = shop("s1");
    c.report_throttled(&key, None, &policy).await.unwrap();
    for _ in 0..2 {
        assert!(!c.report_success(&key, &policy).await.unwrap().changed);
    }
    // A cut before the third success: the count starts again.
    assert_eq!(
        c.report_throttled(&key, None, &policy).await.unwrap().rate_per_sec,
        12.5
    );
    for _ in 0..2 {
        assert!(!c.report_success(&key, &policy).await.unwrap().changed);
    }
    let third = c.report_success(&key, &policy).await.unwrap();
    assert_eq!((third.changed, third.rate_per_sec), (true, 15.625));
    fleet.clean_up().await;
}

#[tokio::test]
async fn once_raised_a_429_trims_the_rate_instead_of_halving_it() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = AdaptivePolicy {
        cooldown: Duration::ZERO,
        trim: 0.75,
        ..long_cooldown()
    };
    let key = shop("s1");
    // The first descent halves: 50 → 25 → 12.5.
    assert_eq!(
        c.report_throttled(&key, None, &policy).await.unwrap().rate_per_sec,
        25.0
    );
    assert_eq!(
        c.report_throttled(&key, None, &policy).await.unwrap().rate_per_sec,
        12.5
    );
    // Raised once (12.5 → 15.625), the key is near its limit: a 429 trims by a quarter.
    assert_eq!(c.report_success(&key, &policy).await.unwrap().rate_per_sec, 15.625);
    assert_eq!(
        c.report_throttled(&key, None, &policy).await.unwrap().rate_per_sec,
        11.71875
    );
    fleet.clean_up().await;
}

#[tokio::test]
async fn a_lowered_ceiling_caps_the_learnt_rate() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let key = shop("s1");
    c.report_throttled(&key, None, &long_cooldown()).await.unwrap();
    let lowered = AdaptivePolicy {
        ceiling: 10.0,
        ..long_cooldown()
    };
    assert_eq!(c.adaptive_rate(&key, &lowered).await.unwrap(), 10.0);
    fleet.clean_up().await;
}

/// Books `n` slots of `key` one after another; the waits and the time the booking took.
async fn book(c: &Coordination, key: &AdaptiveKey, policy: &AdaptivePolicy, n: usize) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut waits = Vec::new();
    for _ in 0..n {
        waits.push(c.reserve_adaptive(key, policy).await.unwrap());
    }
    (waits, started.elapsed())
}

#[tokio::test]
async fn slots_are_booked_at_the_current_rate() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = AdaptivePolicy {
        ceiling: 4.0,
        ..long_cooldown()
    };
    let key = shop("s1");
    c.report_throttled(&key, None, &policy).await.unwrap();
    // 2 req/s: each slot at least 500 ms after the one before, whatever the machine's speed.
    let (waits, took) = book(c, &key, &policy, 4).await;
    for (i, wait) in waits.iter().enumerate() {
        assert!(
            *wait + took + ROUNDING >= Duration::from_millis(500) * i as u32,
            "slot {i} waits {wait:?} (booking took {took:?})"
        );
    }
    assert!(waits.windows(2).all(|w| w[0] <= w[1] + took), "{waits:?}");
    fleet.clean_up().await;
}

#[tokio::test]
async fn retry_after_holds_every_caller_of_the_key_and_no_other() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = long_cooldown();
    let throttled = shop("s1");
    let other = shop("s2");
    let retry_after = Duration::from_secs(30);

    let started = Instant::now();
    c.report_throttled(&throttled, Some(retry_after), &policy)
        .await
        .unwrap();
    let (waits, _) = book(c, &throttled, &policy, 3).await;
    let took = started.elapsed();
    // The hold runs from the report; whatever time passed since, each wait covers the rest of it.
    assert!(waits[0] + took + ROUNDING >= retry_after, "{waits:?} after {took:?}");
    // After the hold, slots come at the lowered rate (25 req/s, 40 ms apart), not as a burst.
    let interval = Duration::from_millis(40);
    assert!(waits[1] + took + ROUNDING >= retry_after + interval, "{waits:?}");
    assert!(waits[2] + took + ROUNDING >= retry_after + interval * 2, "{waits:?}");

    // Another shop of the same app keeps its rate and its schedule.
    assert_eq!(c.adaptive_rate(&other, &policy).await.unwrap(), 50.0);
    assert_eq!(c.reserve_adaptive(&other, &policy).await.unwrap(), Duration::ZERO);

    // A shorter Retry-After later does not shorten the hold.
    let before_second = Instant::now();
    c.report_throttled(&throttled, Some(Duration::from_secs(1)), &policy)
        .await
        .unwrap();
    let wait = c.reserve_adaptive(&throttled, &policy).await.unwrap();
    assert!(
        wait + started.elapsed() + ROUNDING >= retry_after + interval * 3,
        "{wait:?} ({:?} after the second report)",
        before_second.elapsed()
    );
    fleet.clean_up().await;
}

#[tokio::test]
async fn keys_are_independent() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = long_cooldown();
    let s1 = shop("s1");
    c.report_throttled(&s1, None, &policy).await.unwrap();
    c.report_throttled(&AdaptiveKey::new("app-2", "s1", &s1.endpoint), None, &policy)
        .await
        .unwrap();
    let others = [
        shop("s2"),
        AdaptiveKey::new("app-1", "s1", "/product/202309/products/search"),
        AdaptiveKey::new("app-3", "s1", &s1.endpoint),
    ];
    for key in &others {
        assert_eq!(c.adaptive_rate(key, &policy).await.unwrap(), 50.0, "{key:?}");
    }
    assert_eq!(c.adaptive_rate(&s1, &policy).await.unwrap(), 25.0);
    fleet.clean_up().await;
}

#[tokio::test]
async fn every_key_expires() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let policy = AdaptivePolicy {
        idle_ttl: Duration::from_secs(60),
        ..long_cooldown()
    };
    c.reserve_adaptive(&shop("s1"), &policy).await.unwrap();
    c.report_throttled(&shop("s2"), None, &policy).await.unwrap();
    c.report_success(&shop("s2"), &policy).await.unwrap();
    // A hold longer than the idle TTL keeps its key until the hold is over.
    c.report_throttled(&shop("s3"), Some(Duration::from_secs(300)), &policy)
        .await
        .unwrap();

    let keys = fleet.keys().await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    let mut conn = fleet.conn.clone();
    for key in &keys {
        let ttl_ms: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await.unwrap();
        assert!(ttl_ms > 0, "{key} has no TTL");
        if key.contains(":s3:") {
            assert!(ttl_ms > 60_000, "{key} would expire before its hold ends: {ttl_ms} ms");
        } else {
            assert!(ttl_ms <= 61_000, "{key} outlives the idle TTL: {ttl_ms} ms");
        }
    }
    fleet.clean_up().await;
}

#[tokio::test]
async fn the_published_limit_schedule_still_books_at_its_rate() {
    let fleet = Fleet::start().await;
    let c = &fleet.coordination;
    let limit = Limit {
        rate_per_sec: 2.0,
        burst: 2,
    };
    let started = Instant::now();
    let mut waits = Vec::new();
    for _ in 0..4 {
        waits.push(c.reserve(7, "order-list", limit).await.unwrap());
    }
    let took = started.elapsed();
    // A burst of two, then one slot every 500 ms.
    assert_eq!(waits[0], Duration::ZERO);
    for (i, wait) in waits.iter().enumerate().skip(2) {
        assert!(
            *wait + took + ROUNDING >= Duration::from_millis(500) * (i as u32 - 1),
            "{waits:?} after {took:?}"
        );
    }
    fleet.clean_up().await;
}

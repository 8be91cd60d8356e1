//! Throttles token guessing: wrong bearer tokens and console sign-ins, per client address.
//!
//! Each address may present a limited number of wrong tokens per fixed window (by default 10 a minute);
//! past that, the tokens it presents are refused with 429 and `Retry-After` until the window ends, without
//! being looked up. Only failures count, so integrators that call the API all day never approach the limit.
//!
//! Tokens already in use from an address are exempt: a token that signed in from that address within the
//! last day is still checked, and works, while the address is throttled. A token never seen from it waits
//! for the window like any guess. That cannot be avoided: if a correct unseen token were let through while
//! wrong ones got 429, the 429 itself would tell a guesser which guess was right, at full speed.
//!
//! The client address is the TCP peer: the api does not read `X-Forwarded-For`, so behind a proxy every
//! client shares the proxy's budget (tokens in use keep working; new sign-ins may wait a minute during an
//! attack). IPv6 clients count per /64, the block a single host usually controls.
//!
//! The counters live in this process's memory: with several api replicas each allows its own budget, and a
//! restart forgets them. That bounds an attacker at (replicas × limit) guesses per window, which is what
//! matters against a token of 32 characters or more, and needs no shared store on the sign-in path.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use sha2::{Digest, Sha256};

/// How long a token that signed in from an address stays exempt from that address's throttle.
const REMEMBER: Duration = Duration::from_secs(24 * 60 * 60);
/// Past this many tracked addresses (or remembered tokens), expired entries are dropped on the next write.
const PRUNE_ABOVE: usize = 10_000;

/// The address a request came from, as the throttle counts it. Requests that did not arrive over a socket
/// (router tests) share the unspecified address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(IpAddr);

impl ClientAddr {
    pub fn new(ip: IpAddr) -> Self {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (!0u128 << 64))),
            },
            v4 => v4,
        };
        Self(ip)
    }

    pub fn of(parts: &Parts) -> Self {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip());
        Self::new(ip)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// The address is over its budget; it may try again after this long.
#[derive(Debug, Clone, Copy)]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Throttled {
    /// For `Retry-After`: whole seconds, rounded up and never 0 ("retry now" would be refused again).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// A token check let through by [`AuthThrottle::begin`]; hand it back to [`AuthThrottle::finish`].
#[must_use]
pub struct Attempt {
    client: ClientAddr,
    digest: [u8; 32],
    /// Counted against the budget in advance, so that concurrent guesses cannot overrun it.
    charged: bool,
}

#[derive(Default)]
struct State {
    failures: HashMap<ClientAddr, Window>,
    known: HashMap<(ClientAddr, [u8; 32]), Instant>,
}

struct Window {
    started: Instant,
    failures: u32,
}

pub struct AuthThrottle {
    limit: u32,
    window: Duration,
    state: Mutex<State>,
}

impl Default for AuthThrottle {
    /// 10 wrong tokens a minute, the api's default settings.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(60))
    }
}

impl AuthThrottle {
    /// At most `limit` wrong tokens per `window` and address.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            state: Mutex::new(State::default()),
        }
    }

    /// Whether `token` from `client` may be checked now.
    pub fn begin(&self, client: ClientAddr, token: &str) -> Result<Attempt, Throttled> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        let mut state = self.state.lock().expect("throttle lock");
        if state
            .known
            .get(&(client, digest))
            .is_some_and(|seen| now.duration_since(*seen) < REMEMBER)
        {
            return Ok(Attempt {
                client,
                digest,
                charged: false,
            });
        }
        let window = self.window_of(&mut state, client, now);
        if window.failures >= self.limit {
            let retry_after = (window.started + self.window).saturating_duration_since(now);
            return Err(Throttled { retry_after });
        }
        window.failures += 1;
        Ok(Attempt {
            client,
            digest,
            charged: true,
        })
    }

    /// Records the check's outcome: `Ok(Some(_))` the token is valid, `Ok(None)` it is not, `Err` the
    /// check could not be made (database down), which counts neither way.
    pub fn finish<T, E>(&self, attempt: Attempt, outcome: &Result<Option<T>, E>) {
        let now = Instant::now();
        let mut state = self.state.lock().expect("throttle lock");
        let key = (attempt.client, attempt.digest);
        match outcome {
            Ok(Some(_)) => {
                self.refund(&mut state, &attempt, now);
                if state.known.len() >= PRUNE_ABOVE {
                    state.known.retain(|_, seen| now.duration_since(*seen) < REMEMBER);
                }
                if state.known.len() < PRUNE_ABOVE * 10 {
                    state.known.insert(key, now);
                }
            }
            Ok(None) => {
                // A known token that stopped working (revoked) is a failure like any other.
                state.known.remove(&key);
                if !attempt.charged {
                    self.window_of(&mut state, attempt.client, now).failures += 1;
                }
            }
            Err(_) => self.refund(&mut state, &attempt, now),
        }
    }

    fn refund(&self, state: &mut State, attempt: &Attempt, now: Instant) {
        if attempt.charged {
            let window = self.window_of(state, attempt.client, now);
            window.failures = window.failures.saturating_sub(1);
        }
    }

    /// The address's current window, a fresh one if the last has ended.
    fn window_of<'a>(&self, state: &'a mut State, client: ClientAddr, now: Instant) -> &'a mut Window {
        if state.failures.len() >= PRUNE_ABOVE {
            state
                .failures
                .retain(|_, w| now.duration_since(w.started) < self.window);
        }
        let window = state.failures.entry(client).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(window.started) >= self.window {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> ClientAddr {
        ClientAddr::new(s.parse().unwrap())
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(addr("2001:db8:1:2::1"), addr("2001:db8:1:2:ffff::9"));
        assert_ne!(addr("2001:db8:1:2::1"), addr("2001:db8:1:3::1"));
        assert_eq!(addr("::ffff:10.0.0.1"), addr("10.0.0.1"));
    }

    #[test]
    fn failures_past_the_limit_are_refused_until_the_window_ends() {
        let throttle = AuthThrottle::new(2, Duration::from_secs(60));
        let (a, b) = (addr("10.0.0.1"), addr("10.0.0.2"));
        for _ in 0..2 {
            let attempt = throttle.begin(a, "guess").unwrap();
            throttle.finish::<(), ()>(attempt, &Ok(None));
        }
        let refused = throttle.begin(a, "guess").err().expect("throttled");
        assert!(refused.retry_after > Duration::from_secs(59));
        assert!(throttle.begin(b, "guess").is_ok(), "other addresses keep their budget");
    }

    #[test]
    fn valid_tokens_and_failed_checks_spend_nothing_and_known_tokens_pass_a_throttled_address() {
        let throttle = AuthThrottle::new(1, Duration::from_secs(60));
        let a = addr("10.0.0.1");
        for _ in 0..5 {
            let attempt = throttle.begin(a, "good").unwrap();
            throttle.finish::<(), ()>(attempt, &Ok(Some(())));
            let attempt = throttle.begin(a, "unknown").unwrap();
            throttle.finish::<(), ()>(attempt, &Err(()));
        }
        let attempt = throttle.begin(a, "guess").unwrap();
        throttle.finish::<(), ()>(attempt, &Ok(None));
        assert!(throttle.begin(a, "guess").is_err());
        assert!(throttle.begin(a, "good").is_ok());
    }
}

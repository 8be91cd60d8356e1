//! The TikTok Shop world clock: what "now" is for token and code expiry,
//! order progress and order arrivals.
//!
//! It starts at the sim's anchor and either follows the wall clock or stands
//! still (`frozen_clock`); either way a test moves it forward with
//! `POST /sim/tiktok-shop/clock/advance`, so it can make a week pass without
//! waiting. Request timestamps are checked against the wall clock instead
//! (see [`wall_now`]): they measure the skew between a client's clock and the
//! server's, which advancing the world cannot change.

use std::time::Instant;

/// World time in unix seconds.
#[derive(Debug)]
pub(crate) struct Clock {
    origin: i64,
    started: Instant,
    advanced: i64,
    frozen: bool,
}

impl Clock {
    pub fn new(origin: i64, frozen: bool) -> Self {
        Self {
            origin,
            started: Instant::now(),
            advanced: 0,
            frozen,
        }
    }

    pub fn now(&self) -> i64 {
        let running = if self.frozen {
            0
        } else {
            i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX)
        };
        self.origin.saturating_add(self.advanced).saturating_add(running)
    }

    /// Moves the clock forward (never back) and returns the new time.
    pub fn advance(&mut self, secs: u64) -> i64 {
        self.advanced = self.advanced.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX));
        self.now()
    }

    pub fn frozen(&self) -> bool {
        self.frozen
    }
}

/// The server's real clock (unix seconds), against which request timestamps are checked.
pub(crate) fn wall_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let mut clock = Clock::new(1_000, true);
        assert_eq!(clock.now(), 1_000);
        assert_eq!(clock.advance(86_400), 87_400);
        assert_eq!(clock.now(), 87_400);
    }
}

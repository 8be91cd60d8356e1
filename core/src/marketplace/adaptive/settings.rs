//! The settings of the adaptive limit: one flag and variable per constant of [`AdaptivePolicy`].

use std::time::Duration;

use clap::Args;

use super::{AdaptivePolicy, millis};
use crate::config::Validate;

/// The adaptive limit of TikTok Shop keys (app, shop, endpoint); see the module docs for the algorithm and
/// why these defaults.
#[derive(Args, Debug, Clone)]
pub struct AdaptiveLimitSettings {
    /// Requests per second a (shop, endpoint) starts from and never exceeds; the reported limit is
    /// 50 per store.
    #[arg(
        id = "tiktok-shop-rate-ceiling",
        long = "tiktok-shop-rate-ceiling",
        env = "OCEAN_TIKTOK_SHOP_RATE_CEILING",
        default_value_t = 50.0
    )]
    pub ceiling: f64,
    /// Requests per second a 429 never lowers a (shop, endpoint) below.
    #[arg(
        id = "tiktok-shop-rate-floor",
        long = "tiktok-shop-rate-floor",
        env = "OCEAN_TIKTOK_SHOP_RATE_FLOOR",
        default_value_t = 1.0
    )]
    pub floor: f64,
    /// Factor a 429 multiplies the rate by while the key descends from the ceiling (above 0, below 1).
    #[arg(
        id = "tiktok-shop-rate-decrease",
        long = "tiktok-shop-rate-decrease",
        env = "OCEAN_TIKTOK_SHOP_RATE_DECREASE",
        default_value_t = 0.5
    )]
    pub decrease: f64,
    /// Factor a 429 multiplies the rate by once the key has been raised (above 0, below 1).
    #[arg(
        id = "tiktok-shop-rate-trim",
        long = "tiktok-shop-rate-trim",
        env = "OCEAN_TIKTOK_SHOP_RATE_TRIM",
        default_value_t = 0.8
    )]
    pub trim: f64,
    /// Milliseconds after a decrease during which further 429s of the same key (echoes of one burst, from
    /// any pod) do not lower the rate again.
    #[arg(
        id = "tiktok-shop-rate-cooldown-ms",
        long = "tiktok-shop-rate-cooldown-ms",
        env = "OCEAN_TIKTOK_SHOP_RATE_COOLDOWN_MS",
        default_value_t = 2000
    )]
    pub cooldown_ms: u64,
    /// Share of itself the rate grows by per step up (0.02: 2 %).
    #[arg(
        id = "tiktok-shop-rate-increase",
        long = "tiktok-shop-rate-increase",
        env = "OCEAN_TIKTOK_SHOP_RATE_INCREASE",
        default_value_t = 0.02
    )]
    pub increase: f64,
    /// Accepted requests of one key, fleet-wide, per step up.
    #[arg(
        id = "tiktok-shop-rate-probe-successes",
        long = "tiktok-shop-rate-probe-successes",
        env = "OCEAN_TIKTOK_SHOP_RATE_PROBE_SUCCESSES",
        default_value_t = 25
    )]
    pub probe_successes: u32,
    /// Requests a (shop, endpoint) may send at once.
    #[arg(
        id = "tiktok-shop-rate-burst",
        long = "tiktok-shop-rate-burst",
        env = "OCEAN_TIKTOK_SHOP_RATE_BURST",
        default_value_t = 1
    )]
    pub burst: u32,
    /// Seconds an untouched key keeps its learnt rate before it starts again from the ceiling.
    #[arg(
        id = "tiktok-shop-rate-idle-secs",
        long = "tiktok-shop-rate-idle-secs",
        env = "OCEAN_TIKTOK_SHOP_RATE_IDLE_SECS",
        default_value_t = 600
    )]
    pub idle_secs: u64,
}

impl AdaptiveLimitSettings {
    pub fn policy(&self) -> AdaptivePolicy {
        AdaptivePolicy {
            ceiling: self.ceiling,
            floor: self.floor,
            decrease: self.decrease,
            trim: self.trim,
            cooldown: Duration::from_millis(self.cooldown_ms),
            increase: self.increase,
            probe_successes: self.probe_successes,
            burst: self.burst,
            idle_ttl: Duration::from_secs(self.idle_secs),
        }
    }
}

/// The documented policy ([`AdaptivePolicy::default`]), for settings built in code rather than parsed.
impl Default for AdaptiveLimitSettings {
    fn default() -> Self {
        let policy = AdaptivePolicy::default();
        Self {
            ceiling: policy.ceiling,
            floor: policy.floor,
            decrease: policy.decrease,
            trim: policy.trim,
            cooldown_ms: millis(policy.cooldown),
            increase: policy.increase,
            probe_successes: policy.probe_successes,
            burst: policy.burst,
            idle_secs: policy.idle_ttl.as_secs(),
        }
    }
}

impl Validate for AdaptiveLimitSettings {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.ceiling.is_finite() && self.ceiling > 0.0) {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_CEILING must be above 0".into());
        }
        if !(self.floor.is_finite() && self.floor > 0.0 && self.floor <= self.ceiling) {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_FLOOR must be above 0 and at most the ceiling".into());
        }
        if !(self.decrease > 0.0 && self.decrease < 1.0) {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_DECREASE must be above 0 and below 1".into());
        }
        if !(self.trim > 0.0 && self.trim < 1.0) {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_TRIM must be above 0 and below 1".into());
        }
        if !(self.increase.is_finite() && self.increase > 0.0) {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_INCREASE must be above 0".into());
        }
        if self.probe_successes == 0 {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_PROBE_SUCCESSES must be at least 1".into());
        }
        if self.burst == 0 {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_BURST must be at least 1".into());
        }
        if self.idle_secs == 0 {
            problems.push("OCEAN_TIKTOK_SHOP_RATE_IDLE_SECS must be at least 1".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        adaptive: AdaptiveLimitSettings,
    }

    #[test]
    fn the_defaults_are_the_documented_policy_and_valid() {
        let settings = Cli::parse_from(["ocean"]).adaptive;
        assert!(settings.problems().is_empty());
        assert_eq!(settings.policy(), AdaptivePolicy::default());
        assert_eq!(AdaptiveLimitSettings::default().policy(), AdaptivePolicy::default());
    }

    #[test]
    fn settings_out_of_range_are_named() {
        let settings = Cli::parse_from([
            "ocean",
            "--tiktok-shop-rate-ceiling",
            "10",
            "--tiktok-shop-rate-floor",
            "20",
            "--tiktok-shop-rate-decrease",
            "1",
            "--tiktok-shop-rate-burst",
            "0",
        ])
        .adaptive;
        let problems = settings.problems().join("\n");
        assert!(problems.contains("OCEAN_TIKTOK_SHOP_RATE_FLOOR"), "{problems}");
        assert!(problems.contains("OCEAN_TIKTOK_SHOP_RATE_DECREASE"), "{problems}");
        assert!(problems.contains("OCEAN_TIKTOK_SHOP_RATE_BURST"), "{problems}");
        assert!(!problems.contains("CEILING"), "{problems}");
    }
}

//! What the e2e tests share besides the harness (`ocean_testkit::TestApp`): the simulated shops.

use ocean_sim::SimConfig;
pub use ocean_testkit::{TestApp, scheduler_settings};

/// Two apps, one shop each, small enough to sync in well under a second.
pub fn two_shops() -> SimConfig {
    let mut config = SimConfig::demo();
    for app in &mut config.apps {
        for shop in &mut app.shops {
            shop.products = 120;
            shop.orders = 300;
            shop.latency_ms = 0;
            // Well inside the worker's 30-day first-sync lookback, so every order is expected.
            shop.order_days = 20;
        }
    }
    config.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    config
}

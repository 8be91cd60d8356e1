//! What the e2e tests share besides the harness (`ocean_testkit::TestApp`): the simulated shops, and a
//! scheduler that has ticked.

use std::time::Duration;

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

/// Starts a scheduler and waits for its first tick (which marks the queue's Redis as known, see
/// `feed::recover_lost_jobs`), so a case begins with its scheduler running.
pub async fn start_scheduler(app: &TestApp) {
    app.spawn_scheduler().await;
    let mark = format!("{}:ocean:epoch", app.queue.name());
    ocean_testkit::wait_for("the scheduler's first tick", Duration::from_secs(30), || {
        let (mut conn, mark) = (app.queue.connection(), mark.clone());
        async move {
            let marked: bool = redis::cmd("EXISTS").arg(&mark).query_async(&mut conn).await.ok()?;
            marked.then_some(())
        }
    })
    .await;
}

//! Four worker processes syncing fifty shops of one app share the app's marketplace budget: the simulator,
//! limiting every endpoint to 5 req/s, answers no 429 at all.

use std::time::{Duration, Instant};

use ocean_core::db::accounts;
use ocean_sim::{AppConfig, RateLimit, ShopConfig, SimConfig};
use ocean_testkit::{SimServer, wait_for};
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::process::Child;
use tokio_util::sync::CancellationToken;

const SHOPS: u64 = 50;
const WORKERS: usize = 4;

fn one_app_with_many_shops() -> SimConfig {
    let shops = (0..SHOPS)
        .map(|i| ShopConfig {
            shop_id: 70_000 + i,
            name: format!("Toko {i}"),
            seed: i,
            products: 20,
            orders: 30,
            order_days: 1,
            latency_ms: 5,
            failure_rate: 0.0,
        })
        .collect();
    SimConfig {
        apps: vec![AppConfig {
            fs_id: 4242,
            client_id: "fleet-client".into(),
            client_secret: "fleet-secret".into(),
            shops,
        }],
        rate_limit: RateLimit {
            rate_per_sec: 5.0,
            burst: 5,
        },
        ..SimConfig::default()
    }
}

fn spawn_worker(pool: &PgPool, sim: &SimServer, queue: &str, keys: &SecretString) -> Child {
    ocean_testkit::worker_process(env!("CARGO_BIN_EXE_ocean-worker"), pool, sim, queue, keys)
        // Each process alone would allow 5 req/s per endpoint; four of them would overrun the app's budget
        // without the shared limiter.
        .env("OCEAN_MARKETPLACE_RATE_PER_SEC", "5")
        .env("OCEAN_MARKETPLACE_BURST", "5")
        .env("OCEAN_WORKER_CONCURRENCY", "4")
        .env("OCEAN_ORDER_LOOKBACK_DAYS", "2")
        .spawn()
        .expect("start ocean-worker")
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn four_workers_and_fifty_shops_of_one_app_cause_no_429(pool: PgPool) {
    let sim = SimServer::start(one_app_with_many_shops()).await;
    let keys = ocean_testkit::keyring_spec();
    let keyring = ocean_core::crypto::Keyring::parse(&keys).unwrap();
    let queue = ocean_testkit::fresh_queue().await;
    let app = sim.config.apps[0].clone();
    let mut ids = Vec::new();
    for shop in &app.shops {
        let single = AppConfig {
            shops: vec![shop.clone()],
            ..app.clone()
        };
        ids.push(
            ocean_testkit::create_account(&pool, &keyring, &single, &shop.name, 60)
                .await
                .id,
        );
    }
    let mut workers: Vec<Child> = (0..WORKERS)
        .map(|_| spawn_worker(&pool, &sim, queue.name(), &keys))
        .collect();
    let started = Instant::now();
    let stop = CancellationToken::new();
    ocean_testkit::spawn_scheduler(&pool, &queue, &stop).await;

    wait_for("every shop to sync", Duration::from_secs(240), || async {
        let mut synced = 0;
        for id in &ids {
            let account = accounts::get(&pool, *id).await.ok()??;
            assert_eq!(account.error_count, 0, "account {id} failed: {:?}", account.last_error);
            synced += usize::from(account.sync_count >= 1);
        }
        (synced == ids.len()).then_some(())
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();

    let stats = sim.sim.stats();
    let limited: u64 = stats.rate_limited.values().sum();
    assert_eq!(limited, 0, "the simulator answered 429: {:?}", stats.rate_limited);
    assert_eq!(stats.tokens_issued, 1, "one token for the whole fleet");
    for endpoint in ["shop-info", "product-info", "order-list"] {
        let requests = stats.requests.get(endpoint).copied().unwrap_or(0);
        assert!(requests >= SHOPS, "{endpoint}: {requests} requests");
        // Reported, not asserted: performance belongs to benchmarks.
        eprintln!(
            "{endpoint}: {requests} requests in {elapsed:.1}s = {:.2} req/s ({:.0}% of the 5 req/s limit)",
            requests as f64 / elapsed,
            requests as f64 / elapsed / 5.0 * 100.0
        );
    }

    stop.cancel();
    for worker in &mut workers {
        let _ = worker.kill().await;
    }
}

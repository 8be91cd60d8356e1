//! A test that panics leaves nothing behind in Redis: its `TestApp` stops its processes and deletes its
//! namespace while the panic unwinds.

use std::time::Duration;

use ocean_testkit::{ACCOUNTS, TestApp};
use serde_json::json;
use sqlx::PgPool;

fn keys_under(prefix: &str) -> Vec<String> {
    let client = redis::Client::open(ocean_testkit::redis_url()).expect("Redis URL");
    let mut conn = client.get_connection().expect("Redis must run on REDIS_URL");
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .expect("KEYS")
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn a_panicking_test_leaves_no_redis_keys(pool: PgPool) {
    // The failing "test" runs as `#[sqlx::test]` runs one: a runtime of its own, torn down by the panic.
    let (tx, rx) = std::sync::mpsc::channel();
    let failed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let app = TestApp::start(&pool).await;
            app.spawn_scheduler().await;
            app.spawn_worker().await;
            let id = app.connect_shop(0, "Jakarta").await;
            let (status, body) = app.post(&format!("{ACCOUNTS}/{id}/sync"), json!({})).await;
            assert_eq!(status, 202, "{body}");
            let name = app.queue.name().to_owned();
            ocean_testkit::wait_for("the sync job in Redis", Duration::from_secs(30), || {
                let found = !keys_under(&name).is_empty();
                async move { found.then_some(()) }
            })
            .await;
            tx.send(name).expect("report the namespace");
            panic!("a failing assertion in the middle of the test");
        })
    })
    .join();

    assert!(failed.is_err(), "the inner test panicked");
    let namespace = rx.recv().expect("the namespace was in use");
    assert_eq!(
        keys_under(&namespace),
        Vec::<String>::new(),
        "keys left under {namespace}"
    );
}

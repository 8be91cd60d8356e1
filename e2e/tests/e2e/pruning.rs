//! Finished jobs leave Redis once their retention has passed (apalis keeps them forever otherwise);
//! waiting jobs are never touched.

use std::time::Duration;

use chrono::Utc;
use ocean_core::{
    domain::{AccountId, SyncTrigger},
    queue::{SyncJob, SyncQueue},
};
use sqlx::PgPool;

use crate::helpers::{TestApp, two_shops};

/// (ids in the done set, jobs with data, metadata keys) of the queue's namespace.
async fn finished_state(queue: &SyncQueue) -> (u64, u64, u64) {
    let mut conn = queue.connection();
    let name = queue.name();
    let (done, data): (u64, u64) = redis::pipe()
        .cmd("SCARD")
        .arg(format!("{name}:done"))
        .cmd("HLEN")
        .arg(format!("{name}:data"))
        .query_async(&mut conn)
        .await
        .expect("read queue sets");
    let meta: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{name}:meta:*"))
        .query_async(&mut conn)
        .await
        .expect("list meta keys");
    (done, data, meta.len() as u64)
}

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn finished_jobs_are_pruned_after_their_retention_and_waiting_jobs_stay(pool: PgPool) {
    let app = TestApp::builder(&pool).sim(two_shops()).start().await;
    app.spawn_worker().await;
    let accounts = [
        app.connect_shop(0, "Main Store - Jakarta").await,
        app.connect_shop(1, "Surabaya Branch").await,
    ];
    for id in accounts {
        let (status, body) = app
            .post(
                &format!("/api/integrations/tokopedia/accounts/{id}/sync"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    for id in accounts {
        app.wait_for_outcome(id, 1, 0).await;
    }
    // The worker acknowledges after the sync is recorded; wait for both acks.
    let before = ocean_testkit::wait_for("both jobs acknowledged", Duration::from_secs(10), || async {
        let state = finished_state(&app.queue).await;
        (state.0 == 2).then_some(state)
    })
    .await;
    assert_eq!(
        before,
        (2, 2, 2),
        "done ids, job data and metadata of the two finished jobs"
    );

    // Within their retention they stay.
    assert_eq!(app.queue.prune(Duration::from_secs(3600)).await.unwrap(), 0);
    assert_eq!(finished_state(&app.queue).await, before);

    // A job no worker has taken yet is never pruned.
    let idle = ocean_testkit::fresh_queue().await;
    let waiting = SyncJob {
        account_id: AccountId(1),
        trigger: SyncTrigger::Manual,
        seq: 1,
        requested_at: Utc::now(),
    };
    idle.push(waiting, None).await.unwrap();
    assert_eq!(idle.prune(Duration::ZERO).await.unwrap(), 0);
    assert_eq!(idle.depth().await.unwrap(), 1, "the waiting job is still due");
    assert_eq!(finished_state(&idle).await.1, 1, "and its data is still there");

    // Past their retention, nothing of the finished jobs is left.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.queue.prune(Duration::ZERO).await.unwrap(), 2);
    assert_eq!(finished_state(&app.queue).await, (0, 0, 0));
}

//! Feeding waiting intents to the queue. Every path that pushes a sync job goes through here: the
//! scheduler's window, a sync-now's fast path, a sync's follow-up and continuation.
//!
//! The intent is claimed (marked enqueued) in a transaction, its job pushed, then the transaction
//! commits. A push that fails rolls the mark back, so the scheduler feeds the intent again at its next
//! tick; a commit that fails after the push leaves a doubled job, which is harmless (the worker skips a
//! served request, and a busy account's running sync covers it).

use anyhow::Context;
use sqlx::PgPool;

use crate::{
    db::intents::{self, FedIntent},
    domain::AccountId,
    monitoring,
    queue::{SyncJob, SyncQueue},
};

/// Feeds up to `limit` waiting intents, fair across apps. Returns them.
pub async fn feed_window(pool: &PgPool, queue: &SyncQueue, limit: i64) -> anyhow::Result<Vec<FedIntent>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await.context("Failed to begin the feed transaction")?;
    let fed = intents::claim_feedable(&mut tx, limit)
        .await
        .context("Failed to claim intents to feed")?;
    for intent in &fed {
        push(queue, intent).await?;
    }
    tx.commit().await.context("Failed to commit the feed transaction")?;
    Ok(fed)
}

/// Notices a Redis that lost its data (its epoch mark is missing: flush, restart without persistence,
/// failover to an empty replica, or a new deployment) and forgets every intent's enqueued mark, since
/// their jobs are gone, so they are fed again. Every path that pushes checks first, so the first push into
/// an empty Redis is never taken for a job it lost (which would feed that request a second time). Returns
/// the intents to feed again.
pub async fn recover_lost_jobs(pool: &PgPool, queue: &SyncQueue) -> anyhow::Result<u64> {
    if !queue.mark_epoch().await? {
        return Ok(0);
    }
    let mut conn = pool.acquire().await.context("Failed to reach Postgres")?;
    let recovered = intents::forget_enqueued(&mut conn)
        .await
        .context("Failed to reset lost jobs")?;
    if recovered > 0 {
        tracing::warn!(
            intents = recovered,
            "the queue lost its jobs; feeding their intents again"
        );
        metrics::counter!(monitoring::INTENTS_RECOVERED).increment(recovered);
    }
    Ok(recovered)
}

/// Feeds one account's waiting intent now if it can be fed (nothing running, no job out). Returns
/// whether a job was pushed. On error nothing is marked: the scheduler feeds it.
pub async fn feed_account(pool: &PgPool, queue: &SyncQueue, id: AccountId) -> anyhow::Result<bool> {
    recover_lost_jobs(pool, queue).await?;
    let mut tx = pool.begin().await.context("Failed to begin the feed transaction")?;
    let Some(intent) = intents::claim_one(&mut tx, id)
        .await
        .context("Failed to claim the account's intent")?
    else {
        return Ok(false);
    };
    push(queue, &intent).await?;
    tx.commit().await.context("Failed to commit the feed transaction")?;
    Ok(true)
}

async fn push(queue: &SyncQueue, intent: &FedIntent) -> anyhow::Result<()> {
    let trigger = intent.trigger();
    let job = SyncJob {
        account_id: intent.id,
        trigger,
        seq: intent.seq,
        requested_at: intent.requested_at,
    };
    queue.push(job, None).await?;
    metrics::counter!(monitoring::JOBS_ENQUEUED, "trigger" => trigger.as_str()).increment(1);
    Ok(())
}

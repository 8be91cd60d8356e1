//! What a service opens at boot: Postgres, the sync job queue on Redis, and the coordination the
//! marketplace client shares with every other process through the same Redis.

use sqlx::PgPool;

use crate::{
    config::{DatabaseSettings, RedisSettings},
    crypto::Keyring,
    marketplace::coordination::Coordination,
    queue::{self, QueueTiming, SyncQueue},
};

pub struct Connected {
    pub pool: PgPool,
    pub queue: SyncQueue,
    /// Request budgets and tokens, under the queue's name so deployments sharing a Redis stay apart.
    pub coordination: Coordination,
}

impl Connected {
    pub async fn open(
        database: &DatabaseSettings,
        redis: &RedisSettings,
        keyring: &Keyring,
        timing: QueueTiming,
    ) -> anyhow::Result<Self> {
        let pool = database.connect().await?;
        let conn = queue::connect(redis).await?;
        Ok(Self {
            pool,
            queue: SyncQueue::new(conn.clone(), &redis.queue_name, timing),
            coordination: Coordination::new(conn, &redis.queue_name, keyring.clone()),
        })
    }
}

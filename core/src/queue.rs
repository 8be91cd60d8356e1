//! The sync job queue: apalis on Redis. The api and the scheduler push [`SyncJob`]s, workers pull them.
//!
//! apalis-redis' defaults lose or stall jobs (see `../shared/design/apalis-notes.md` §7), so every
//! process builds its storage here: an explicit queue name, a short heartbeat so a dead worker's jobs are
//! re-enqueued within seconds, an idempotency TTL so keys expire, and a Redis response timeout of seconds
//! instead of redis-rs' 500 ms (a slow reply would otherwise kill the worker).

use std::time::Duration;

use anyhow::Context;
use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use apalis_redis::{ConnectionManager, RedisStorage};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::RedisSettings;
use crate::domain::{AccountId, SyncTrigger};

/// One request to sync one account. Small on purpose: the worker reads everything else from Postgres,
/// which stays the truth even if this message is delivered twice or late.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncJob {
    pub account_id: AccountId,
    pub trigger: SyncTrigger,
    /// The number of the request this job serves (`crate::db::intents`). Jobs pushed before requests
    /// were numbered carry none and count as served; their intents were fed again.
    #[serde(default)]
    pub seq: i64,
    /// When the request was due, for logs and lag.
    pub requested_at: DateTime<Utc>,
}

/// Queue timing. The defaults give crash recovery in about `heartbeat × missed_heartbeats` (9 s).
#[derive(Debug, Clone, Copy)]
pub struct QueueTiming {
    pub heartbeat: Duration,
    pub missed_heartbeats: usize,
    /// Jobs one worker claims per fetch; keep it near the worker's concurrency or jobs wait in one
    /// pod's buffer while others idle.
    pub batch_size: usize,
}

impl Default for QueueTiming {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(3),
            missed_heartbeats: 3,
            batch_size: 4,
        }
    }
}

/// The apalis-redis configuration every process of one deployment shares.
pub fn storage_config(queue_name: &str, timing: QueueTiming) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(queue_name)
        .batch_size(timing.batch_size)
        .heartbeat_interval(timing.heartbeat)
        .missed_heartbeats(timing.missed_heartbeats)
        .idempotency_ttl(Some(Duration::from_secs(3600)))
        // Nobody subscribes to apalis' lock/done events; publishing them is wasted Redis work.
        .emit_events(false)
}

/// Connects with timeouts suited to a shared, sometimes busy Redis.
pub async fn connect(settings: &RedisSettings) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(settings.redis_url.expose_secret()).context("Failed to parse REDIS_URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(Duration::from_secs(5)))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    client
        .get_connection_manager_with_config(config)
        .await
        .context("Failed to connect to Redis (REDIS_URL)")
}

/// Pushes sync jobs. Cheap to clone.
#[derive(Clone)]
pub struct SyncQueue {
    storage: RedisStorage<SyncJob>,
    conn: ConnectionManager,
    name: String,
}

impl SyncQueue {
    pub fn new(conn: ConnectionManager, queue_name: &str, timing: QueueTiming) -> Self {
        let storage = RedisStorage::new(conn.clone()).with_config(storage_config(queue_name, timing));
        Self {
            storage,
            conn,
            name: queue_name.to_owned(),
        }
    }

    /// Enqueues a job. With an idempotency key, a second push with the same key while the key lives
    /// (one hour) is dropped by Redis. Sync jobs go through `crate::feed`, which pushes one job per
    /// waiting request without keys.
    pub async fn push(&self, job: SyncJob, idempotency_key: Option<String>) -> anyhow::Result<()> {
        let mut builder = TaskBuilder::new(job);
        if let Some(key) = idempotency_key {
            builder = builder.idempotency_key(key);
        }
        let mut storage = self.storage.clone();
        storage
            .push_task(builder.build())
            .await
            .map_err(|e| anyhow::anyhow!("Failed to enqueue sync job: {e}"))
    }

    /// The storage for a worker to consume from.
    pub fn storage(&self) -> RedisStorage<SyncJob> {
        self.storage.clone()
    }

    /// A connection to the same Redis.
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Jobs waiting to start: due in the scheduled set plus the active list (apalis-notes §8: LLEN alone
    /// reads 0 while jobs wait in the scheduled set).
    pub async fn depth(&self) -> anyhow::Result<u64> {
        let config = self.storage.get_config();
        let now = Utc::now().timestamp();
        let mut conn = self.conn.clone();
        let (due, active): (u64, u64) = redis::pipe()
            .cmd("ZCOUNT")
            .arg(config.scheduled_jobs_set())
            .arg("-inf")
            .arg(now)
            .cmd("LLEN")
            .arg(config.active_jobs_list())
            .query_async(&mut conn)
            .await
            .context("Failed to read queue depth")?;
        Ok(due + active)
    }

    /// Jobs claimed by workers and not finished: the sum of the workers' inflight sets.
    pub async fn inflight(&self) -> anyhow::Result<u64> {
        let config = self.storage.get_config();
        let mut conn = self.conn.clone();
        let workers: Vec<String> = redis::cmd("ZRANGE")
            .arg(config.workers_set())
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .context("Failed to list queue workers")?;
        if workers.is_empty() {
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for worker in &workers {
            pipe.cmd("SCARD")
                .arg(format!("{}:{worker}", config.inflight_jobs_set()));
        }
        let counts: Vec<u64> = pipe
            .query_async(&mut conn)
            .await
            .context("Failed to count inflight jobs")?;
        Ok(counts.iter().sum())
    }

    /// Marks this Redis as known to the deployment; true when the mark was missing, i.e. Redis lost its
    /// data (flush, restart without persistence, failover to an empty replica) since the last call.
    pub async fn mark_epoch(&self) -> anyhow::Result<bool> {
        let mut conn = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:ocean:epoch", self.name))
            .arg(Utc::now().to_rfc3339())
            .arg("NX")
            .query_async(&mut conn)
            .await
            .context("Failed to check the queue's epoch mark")?;
        Ok(set.is_some())
    }

    /// Removes jobs that finished (done, or dead) more than `age` ago: their data and metadata through
    /// apalis' vacuum, and their ids in the done and dead sets, which vacuum leaves behind and nothing else
    /// ever trims (apalis-notes §9: Redis memory would grow with every job). Returns the jobs removed.
    /// The history of every sync is in Postgres; Redis keeps only what delivery needs. Safe to run from
    /// several processes at once.
    pub async fn prune(&self, age: Duration) -> anyhow::Result<u64> {
        let mut storage = self.storage.clone();
        let vacuumed = storage
            .vacuum_before(age)
            .await
            .map_err(|e| anyhow::anyhow!("Failed to vacuum finished jobs: {e}"))?;
        let config = self.storage.get_config();
        let data = config.job_data_hash();
        let mut conn = self.conn.clone();
        for set in [config.done_jobs_set(), config.dead_jobs_set()] {
            // SSCAN in pages keeps each Redis call short however large the set has grown.
            let mut cursor: u64 = 0;
            loop {
                let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
                    .arg(&set)
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut conn)
                    .await
                    .context("Failed to scan finished jobs")?;
                if !ids.is_empty() {
                    let mut pipe = redis::pipe();
                    for id in &ids {
                        pipe.cmd("HEXISTS").arg(&data).arg(id);
                    }
                    let kept: Vec<bool> = pipe.query_async(&mut conn).await.context("Failed to read job data")?;
                    let gone: Vec<&String> = ids.iter().zip(kept).filter(|(_, k)| !k).map(|(id, _)| id).collect();
                    if !gone.is_empty() {
                        redis::cmd("SREM")
                            .arg(&set)
                            .arg(&gone)
                            .query_async::<u64>(&mut conn)
                            .await
                            .context("Failed to trim finished job ids")?;
                    }
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        Ok(vacuumed as u64)
    }

    /// Redis round trip, for readiness probes.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .context("Redis PING failed")?;
        Ok(())
    }
}

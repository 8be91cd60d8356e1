//! Queue throughput: no-op jobs through our queue (apalis-redis with our `storage_config`, pushed one by one
//! with `SyncQueue::push`, consumed by an in-process apalis worker built as `ocean-worker` builds its own)
//! next to BullMQ on the same Redis ([`super::bullmq`]). Two rounds each, in fresh queues:
//!
//! - live: the consumer runs first; the clock runs from the first push to the last job acknowledged;
//! - drain: every job is pushed first; the clock runs from the consumer's start to the last job acknowledged,
//!   which shows the consumer alone when pushing is the bottleneck of the live round.

use std::time::{Duration, Instant};

use anyhow::Context;
use apalis::prelude::*;
use ocean_core::{
    domain::{AccountId, SyncTrigger},
    queue::{self, QueueTiming, SyncJob, SyncQueue},
};
use serde::Serialize;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::{cli::Settings, harness::Phase, phases::bullmq};

/// Several timings of one round and their median.
#[derive(Debug, Clone, Serialize)]
pub struct Rounds {
    /// Seconds of each run.
    pub secs: Vec<f64>,
    pub median_secs: f64,
    /// Jobs per second at the median.
    pub jobs_per_sec: f64,
}

impl Rounds {
    /// Summarizes the runs of `jobs` jobs each.
    pub fn new(jobs: usize, mut secs: Vec<f64>) -> Self {
        let mut sorted = secs.clone();
        sorted.sort_by(f64::total_cmp);
        let median_secs = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
        secs.iter_mut().for_each(|s| *s = (*s * 1000.0).round() / 1000.0);
        Self {
            secs,
            median_secs,
            jobs_per_sec: jobs as f64 / median_secs,
        }
    }
}

/// Our side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct OursResult {
    pub jobs: usize,
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    /// Jobs fetched per poll (our `QueueTiming::batch_size`, set to the concurrency as the worker does).
    pub fetch_batch: usize,
    /// Live round: pushing every job, one `push` (one Lua call) each.
    pub push: Rounds,
    /// Live round: first push to last job acknowledged.
    pub live: Rounds,
    /// Drain round: consumer start to last job acknowledged, every job queued beforehand.
    pub drain: Rounds,
}

/// What the phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct QueueResult {
    pub ours: OursResult,
    pub bullmq: Option<bullmq::BullmqResult>,
    /// Why BullMQ did not run, if it did not.
    pub bullmq_error: Option<String>,
}

/// Runs both sides, ours first; a BullMQ failure is reported, not fatal.
pub async fn run(phase: &Phase, settings: &Settings) -> anyhow::Result<QueueResult> {
    let limit = Duration::from_secs(settings.phase_timeout_secs / 4);
    let jobs = settings.queue_jobs;
    let timing = QueueTiming {
        batch_size: settings.queue_concurrency,
        ..QueueTiming::default()
    };
    let (mut push, mut live, mut drain) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..settings.queue_runs {
        let queue = open_queue(phase, &format!("apalis-live-{run}"), timing).await?;
        let consumer = start_consumer(&queue, settings);
        let started = Instant::now();
        push_jobs(&queue, jobs).await?;
        push.push(started.elapsed().as_secs_f64());
        wait_until_acked(&queue, jobs, limit).await?;
        live.push(started.elapsed().as_secs_f64());
        consumer.stop().await;

        let queue = open_queue(phase, &format!("apalis-drain-{run}"), timing).await?;
        push_jobs(&queue, jobs).await?;
        let started = Instant::now();
        let consumer = start_consumer(&queue, settings);
        wait_until_acked(&queue, jobs, limit).await?;
        drain.push(started.elapsed().as_secs_f64());
        consumer.stop().await;
    }
    let ours = OursResult {
        jobs,
        concurrency: settings.queue_concurrency,
        poll_interval_ms: settings.queue_poll_ms,
        fetch_batch: timing.batch_size,
        push: Rounds::new(jobs, push),
        live: Rounds::new(jobs, live),
        drain: Rounds::new(jobs, drain),
    };
    let (bullmq, bullmq_error) = match bullmq::run(phase, settings, limit).await {
        Ok(result) => (Some(result), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    Ok(QueueResult {
        ours,
        bullmq,
        bullmq_error,
    })
}

async fn open_queue(phase: &Phase, name: &str, timing: QueueTiming) -> anyhow::Result<SyncQueue> {
    let redis = phase.redis_settings(name);
    Ok(SyncQueue::new(queue::connect(&redis).await?, &redis.queue_name, timing))
}

async fn push_jobs(queue: &SyncQueue, jobs: usize) -> anyhow::Result<()> {
    for n in 0..jobs {
        let job = SyncJob {
            account_id: AccountId(n as i64 + 1),
            trigger: SyncTrigger::Schedule,
            seq: 1,
            requested_at: chrono::Utc::now(),
        };
        queue.push(job, None).await?;
    }
    Ok(())
}

/// Done means acknowledged in Redis (in apalis' done set), as BullMQ's `completed` follows its ack.
async fn wait_until_acked(queue: &SyncQueue, jobs: usize, limit: Duration) -> anyhow::Result<()> {
    let done_set = queue.storage().get_config().done_jobs_set();
    let conn = queue.connection();
    ocean_testkit::wait_until(
        "our worker to finish the jobs",
        limit,
        Duration::from_millis(5),
        || async {
            let mut conn = conn.clone();
            let acked: usize = redis::cmd("SCARD")
                .arg(&done_set)
                .query_async(&mut conn)
                .await
                .context("Failed to count done jobs")?;
            Ok((acked >= jobs).then_some(()))
        },
    )
    .await
}

async fn noop(_job: SyncJob) -> Result<(), BoxDynError> {
    Ok(())
}

/// An apalis worker in this process, stopped (or, on an early return, cancelled) by [`Consumer::stop`].
struct Consumer {
    monitor: tokio::task::JoinHandle<()>,
    _stop: DropGuard,
}

impl Consumer {
    async fn stop(self) {
        let Self { monitor, _stop } = self;
        drop(_stop);
        if tokio::time::timeout(Duration::from_secs(10), monitor).await.is_err() {
            tracing::warn!("the bench's apalis worker did not stop within 10 s");
        }
    }
}

fn start_consumer(queue: &SyncQueue, settings: &Settings) -> Consumer {
    let stop = CancellationToken::new();
    let (storage, concurrency) = (queue.storage(), settings.queue_concurrency);
    let poll = Duration::from_millis(settings.queue_poll_ms);
    let name = format!("{}-bench", ocean_worker::unique_worker_name());
    let monitor = Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(format!("{name}-{restarts}"))
                .backend(storage.clone().poll_with_interval(poll))
                .concurrency(concurrency)
                .build(noop)
        })
        .should_restart(|_, error| {
            tracing::warn!(%error, "bench worker stopped on a backend error; restarting");
            true
        })
        .shutdown_timeout(Duration::from_secs(5))
        .run_with_signal({
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                Ok(())
            }
        });
    Consumer {
        monitor: tokio::spawn(async move {
            if let Err(e) = monitor.await {
                tracing::warn!(error.message = %e, "the bench's apalis worker failed");
            }
        }),
        _stop: stop.drop_guard(),
    }
}

#[cfg(test)]
mod tests {
    use super::Rounds;

    #[test]
    fn rounds_report_the_median_run() {
        let r = Rounds::new(1000, vec![0.5, 0.1, 0.2]);
        assert_eq!(r.median_secs, 0.2);
        assert_eq!(r.jobs_per_sec.round(), 5000.0);
    }
}

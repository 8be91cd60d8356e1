//! The BullMQ side of the queue phase: runs `bench/bullmq/bench.mjs` with Node.js on the same Redis, under the
//! phase's prefix, and reads the one JSON line it prints.

use std::{process::Stdio, time::Duration};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::{cli::Settings, harness::Phase, phases::queue::Rounds};

/// What `bench.mjs` prints: the seconds of each run of the same two rounds as ours.
#[derive(Debug, Deserialize)]
struct Printed {
    bullmq_version: String,
    ioredis_version: String,
    push_secs: Vec<f64>,
    live_secs: Vec<f64>,
    drain_secs: Vec<f64>,
}

/// BullMQ's side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct BullmqResult {
    pub jobs: usize,
    pub concurrency: usize,
    pub bullmq_version: String,
    pub ioredis_version: String,
    /// Live round: the one `addBulk`.
    pub push: Rounds,
    /// Live round: first push to the last `completed` event.
    pub live: Rounds,
    /// Drain round: Worker start to the last `completed` event, every job added beforehand.
    pub drain: Rounds,
}

/// Runs the script, each round bounded by `limit`.
pub async fn run(phase: &Phase, settings: &Settings, limit: Duration) -> anyhow::Result<BullmqResult> {
    let dir = &settings.bullmq_dir;
    anyhow::ensure!(dir.join("bench.mjs").is_file(), "{} has no bench.mjs", dir.display());
    anyhow::ensure!(
        dir.join("node_modules/bullmq").is_dir(),
        "BullMQ is not installed: run `npm ci --prefix {}`",
        dir.display()
    );
    let child = tokio::process::Command::new(&settings.node)
        .arg("bench.mjs")
        .current_dir(dir)
        .env("BENCH_REDIS_URL", &phase.redis_url)
        .env("BENCH_PREFIX", format!("{}:bullmq", phase.prefix))
        .env("BENCH_JOBS", settings.queue_jobs.to_string())
        .env("BENCH_CONCURRENCY", settings.queue_concurrency.to_string())
        .env("BENCH_RUNS", settings.queue_runs.to_string())
        .env("BENCH_TIMEOUT_MS", limit.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("Failed to run {} (is Node.js installed?)", settings.node.display()))?;
    let output = tokio::time::timeout(
        limit * 2 * settings.queue_runs as u32 + Duration::from_secs(10),
        child.wait_with_output(),
    )
    .await
    .context("the BullMQ script did not finish in time")?
    .context("Failed to wait for the BullMQ script")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the BullMQ script failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{'));
    let printed: Printed = serde_json::from_str(line.context("the BullMQ script printed no JSON")?)
        .with_context(|| format!("Failed to parse the BullMQ script's output: {stdout}"))?;
    let jobs = settings.queue_jobs;
    Ok(BullmqResult {
        jobs,
        concurrency: settings.queue_concurrency,
        bullmq_version: printed.bullmq_version,
        ioredis_version: printed.ioredis_version,
        push: Rounds::new(jobs, printed.push_secs),
        live: Rounds::new(jobs, printed.live_secs),
        drain: Rounds::new(jobs, printed.drain_secs),
    })
}

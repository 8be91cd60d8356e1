//! The processes a phase runs: release `ocean-worker` processes (started as `worker/tests/*` start them), an
//! in-process scheduler, the documented defaults of both, and bounded waiting.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::Context;
use ocean_core::{config::RedisSettings, queue::SyncQueue};
use ocean_testkit::SimServer;
use secrecy::SecretString;
use tokio::process::Child;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::{cli::Settings, harness::Phase};

/// Worker settings for a phase whose simulator does not throttle: the marketplace limit raised out of the
/// way; heartbeat, lease and poll interval stay at the worker's defaults.
pub const UNTHROTTLED: [(&str, &str); 2] = [
    ("OCEAN_MARKETPLACE_RATE_PER_SEC", "1000"),
    ("OCEAN_MARKETPLACE_BURST", "1000"),
];

/// What a phase with worker processes sets up first: its queue (worker defaults), a launcher of workers on
/// it sharing a fresh keyring, and that keyring for sealing the accounts.
pub async fn queue_and_launcher(
    phase: &Phase,
    settings: &Settings,
    label: &'static str,
) -> anyhow::Result<(SyncQueue, WorkerLauncher, ocean_core::crypto::Keyring)> {
    let (keys, keyring) = crate::seed::keyring()?;
    let redis = phase.redis_settings("sync");
    let timing = ocean_worker::WorkerSettings::default().queue_timing();
    let queue = SyncQueue::new(ocean_core::queue::connect(&redis).await?, &redis.queue_name, timing);
    let launcher = WorkerLauncher::for_phase(settings, label, &redis.queue_name, keys)?;
    Ok((queue, launcher, keyring))
}

/// How to start worker processes of one phase.
pub struct WorkerLauncher {
    /// The `ocean-worker` binary.
    pub binary: PathBuf,
    /// Worker logs go to `<log_dir>/<label>-worker-<n>.log`.
    pub log_dir: PathBuf,
    /// The phase's name, for log file names.
    pub label: &'static str,
    /// `bench:<uuid>:sync`.
    pub queue_name: String,
    /// Keyring spec shared with the accounts' sealing.
    pub keys: SecretString,
    /// The workers' `RUST_LOG`.
    pub log_filter: String,
}

/// Worker processes of one phase. Each is SIGKILLed when dropped, so an aborted phase leaves none behind.
pub struct Workers {
    children: Vec<Child>,
    logs: Vec<PathBuf>,
    /// Killed on purpose (their exit is no error).
    killed: Vec<bool>,
}

impl WorkerLauncher {
    /// Workers of the phase `label` on `queue_name`: the release binary, logs next to the results file, the
    /// bench's log filter.
    pub fn for_phase(
        settings: &Settings,
        label: &'static str,
        queue_name: &str,
        keys: SecretString,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            binary: worker_binary(&settings.bin_dir)?,
            log_dir: settings
                .out
                .parent()
                .map(|p| p.join("logs"))
                .unwrap_or_else(|| "logs".into()),
            label,
            queue_name: queue_name.to_owned(),
            keys,
            log_filter: settings.worker_log.clone(),
        })
    }

    /// Starts `count` workers with the phase's database, queue and simulator, plus `env` (e.g. rate limits).
    pub fn spawn(&self, phase: &Phase, sim: &SimServer, count: usize, env: &[(&str, &str)]) -> anyhow::Result<Workers> {
        std::fs::create_dir_all(&self.log_dir).context("Failed to create the log directory")?;
        let mut workers = Workers {
            children: Vec::with_capacity(count),
            logs: Vec::with_capacity(count),
            killed: vec![false; count],
        };
        for n in 0..count {
            let log_path = self.log_dir.join(format!("{}-worker-{n}.log", self.label));
            workers.children.push(self.start(phase, sim, &log_path, env)?);
            workers.logs.push(log_path);
        }
        Ok(workers)
    }

    /// Starts worker `n` again after it was killed; its log continues in the same file.
    pub fn respawn(
        &self,
        phase: &Phase,
        sim: &SimServer,
        workers: &mut Workers,
        n: usize,
        env: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        workers.children[n] = self.start(phase, sim, &workers.logs[n], env)?;
        workers.killed[n] = false;
        Ok(())
    }

    fn start(&self, phase: &Phase, sim: &SimServer, log_path: &Path, env: &[(&str, &str)]) -> anyhow::Result<Child> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .with_context(|| format!("Failed to open {}", log_path.display()))?;
        let err = log.try_clone().context("Failed to share the worker log")?;
        let mut command = ocean_testkit::service_command(
            &self.binary,
            &phase.database_url,
            &phase.redis_url,
            &sim.base_url,
            &self.queue_name,
            &self.keys,
        );
        command
            .env("OCEAN_LOG_FORMAT", "text")
            .env("RUST_LOG", &self.log_filter)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err));
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .spawn()
            .with_context(|| format!("Failed to start {}", self.binary.display()))
    }
}

impl Workers {
    /// Fails when a worker not killed on purpose has exited (a bad setting, a port in use, a crash): the
    /// figures would silently describe a smaller fleet.
    pub fn check(&mut self) -> anyhow::Result<()> {
        for (n, child) in self.children.iter_mut().enumerate() {
            if self.killed[n] {
                continue;
            }
            if let Some(status) = child.try_wait().context("Failed to check a worker")? {
                anyhow::bail!("worker {n} exited ({status}); see {}", self.logs[n].display());
            }
        }
        Ok(())
    }

    /// The index of the worker with this pid.
    pub fn position(&self, pid: u32) -> Option<usize> {
        self.children.iter().position(|c| c.id() == Some(pid))
    }

    /// Pids of the workers not killed.
    pub fn live_pids(&self) -> Vec<u32> {
        (self.children.iter().zip(&self.killed))
            .filter(|(_, killed)| !**killed)
            .filter_map(|(child, _)| child.id())
            .collect()
    }

    /// The index of the live (not killed) worker with this pid.
    pub fn live_position(&self, pid: u32) -> Option<usize> {
        self.position(pid).filter(|&n| !self.killed[n])
    }

    /// SIGKILLs worker `n`.
    pub fn kill(&mut self, n: usize) -> anyhow::Result<()> {
        self.killed[n] = true;
        self.children[n].start_kill().context("Failed to SIGKILL the worker")
    }

    /// SIGKILLs every worker and reaps it.
    pub async fn stop(&mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
        }
        for child in &mut self.children {
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
    }
}

/// The release `ocean-worker` next to this binary (or in `--bin-dir`).
pub fn worker_binary(bin_dir: &Path) -> anyhow::Result<PathBuf> {
    let binary = bin_dir.join("ocean-worker");
    anyhow::ensure!(
        binary.is_file(),
        "{} is missing: build it with `cargo build --release -p ocean-worker`",
        binary.display()
    );
    Ok(binary)
}

/// The marketplace client's documented defaults (those of the worker's command line).
pub fn marketplace_defaults() -> ocean_core::config::MarketplaceSettings {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        marketplace: ocean_core::config::MarketplaceSettings,
    }
    <Defaults as clap::Parser>::parse_from(["ocean-worker"]).marketplace
}

/// Runs a scheduler in this process, built as `ocean-scheduler` builds it, until the returned guard is
/// dropped.
pub async fn spawn_scheduler(
    phase: &Phase,
    redis: RedisSettings,
    settings: ocean_scheduler::SchedulerSettings,
) -> DropGuard {
    let stop = CancellationToken::new();
    ocean_testkit::app::spawn_scheduler_on(&phase.database_url, redis, settings, stop.clone()).await;
    stop.drop_guard()
}

//! The command line. Counts are `Option`s so `--quick` can pick small defaults while an explicit flag still
//! wins; [`Cli::settings`] resolves them into the [`Settings`] every phase reads.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// A benchmark phase; each runs in its own database and Redis namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// N worker processes syncing M accounts of one app against a 5 req/s marketplace.
    Limits,
    /// Batched upserts against Postgres `COPY`.
    Writes,
    /// The scheduler's claim over many due accounts and one fed window.
    Emission,
    /// SIGKILL of a syncing worker to the sync starting again elsewhere.
    Crash,
    /// Repeated SIGKILLs of syncing workers with sync-nows: every account and request served after.
    Kills,
    /// No-op jobs through our apalis-redis queue and through BullMQ.
    Queue,
    /// The account list, its console fragment and the dashboard over a fleet of synced accounts.
    Listing,
    /// N worker processes syncing M TikTok Shop shops of one app against a limit the marketplace does not
    /// tell: how close the fleet's adaptive limit gets to it, and how many 429s it costs.
    #[value(name = "tiktok-limits")]
    #[serde(rename = "tiktok_limits")]
    TikTokLimits,
}

impl PhaseName {
    /// Lower-case name, used for the database and in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limits => "limits",
            Self::Writes => "writes",
            Self::Emission => "emission",
            Self::Crash => "crash",
            Self::Kills => "kills",
            Self::Queue => "queue",
            Self::Listing => "listing",
            Self::TikTokLimits => "tiktok-limits",
        }
    }
}

/// Ocean Sync benchmarks: marketplace limits, write throughput, scheduler emission, crash to resume, queue
/// throughput, the account list at fleet size and TikTok Shop's unpublished limit, against Postgres and
/// Redis on 127.0.0.1.
#[derive(Parser, Debug, Clone)]
#[command(
    version,
    after_help = "Exit status: 0 when every phase ran, 1 when a phase failed (the table says why), 2 when the run \
                  could not start."
)]
pub struct Cli {
    /// Small counts for a smoke run (CI); explicit flags still win.
    #[arg(long)]
    pub quick: bool,
    /// Phases to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub phases: Vec<PhaseName>,
    /// Postgres server URL (any database on it; phases create and drop `ocean_bench_<phase>`). Loopback only.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Redis URL. Loopback only; the bench writes only keys under `bench:<uuid>` and deletes them.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379/")]
    pub redis_url: String,
    /// Directory of the release binaries (`ocean-worker`); default: the directory of this executable.
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    pub out: PathBuf,
    /// Longest any one phase may run, in seconds.
    #[arg(long, default_value_t = 150)]
    pub phase_timeout_secs: u64,
    /// Limits and TikTok limits: worker processes [default: 4; quick: 2].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Limits and TikTok limits: accounts (shops) of the one app [default: 100; quick: 20].
    #[arg(long)]
    pub accounts: Option<usize>,
    /// Limits: the simulator's limit per endpoint, req/s (burst equal to it), also given to the workers.
    #[arg(long, default_value_t = 5)]
    pub limit_rate: u32,
    /// Writes: products written [default: 5000; quick: 500].
    #[arg(long)]
    pub write_products: Option<usize>,
    /// Writes: orders written [default: 10000; quick: 1000].
    #[arg(long)]
    pub write_orders: Option<usize>,
    /// Emission: due accounts [default: 100000; quick: 10000].
    #[arg(long)]
    pub due_accounts: Option<i64>,
    /// Emission: accounts claimed per `claim_due` transaction [default: 10000; quick: 2000].
    #[arg(long)]
    pub claim_batch: Option<i64>,
    /// Emission: the high-water window fed into Redis.
    #[arg(long, default_value_t = 1000)]
    pub high_water: u64,
    /// Crash: products of the slow shop (150 ms per call), so the kill lands mid-sync [default: 1500; quick: 600].
    #[arg(long)]
    pub crash_products: Option<usize>,
    /// Kills: SIGKILLs of a syncing worker [default: 20; quick: 5].
    #[arg(long)]
    pub kills: Option<usize>,
    /// Kills: accounts with a 1-minute interval [default: 46; quick: 12].
    #[arg(long)]
    pub kill_accounts: Option<usize>,
    /// Queue: no-op jobs pushed, for us and for BullMQ (keep below ~8,000: apalis-redis wedges past it)
    /// [default: 5000; quick: 1000].
    #[arg(long)]
    pub queue_jobs: Option<usize>,
    /// Queue: runs of each round (the median is reported) [default: 3; quick: 1].
    #[arg(long)]
    pub queue_runs: Option<usize>,
    /// Queue: concurrency of the consuming worker, for us and for BullMQ.
    #[arg(long, default_value_t = 50)]
    pub queue_concurrency: usize,
    /// Queue: our worker's poll interval in milliseconds (the worker's default).
    #[arg(long, default_value_t = 250)]
    pub queue_poll_ms: u64,
    /// Listing: tokopedia accounts of the fleet [default: 2000; quick: 200].
    #[arg(long)]
    pub listing_accounts: Option<usize>,
    /// Listing: synced products per account.
    #[arg(long, default_value_t = 100)]
    pub listing_products: usize,
    /// Listing: synced orders per account, over the last 30 days.
    #[arg(long, default_value_t = 300)]
    pub listing_orders: usize,
    /// Listing: timed requests per endpoint, one after another (after a warm-up of 3).
    #[arg(long, default_value_t = 50)]
    pub listing_requests: usize,
    /// Listing: longest the timed requests of one endpoint may take together, in seconds; fewer requests are
    /// made when they are slow, so the phase stays within its time limit.
    #[arg(long, default_value_t = 20)]
    pub listing_budget_secs: u64,
    /// Listing: concurrent clients polling the console's live fragment.
    #[arg(long, default_value_t = 8)]
    pub listing_clients: usize,
    /// Listing: how long the concurrent clients poll, in seconds [default: 5; quick: 2].
    #[arg(long)]
    pub listing_secs: Option<u64>,
    /// TikTok limits: the simulator's hidden limit per (app, shop, endpoint), req/s (burst equal to it); the
    /// workers are not told it.
    #[arg(long, default_value_t = 10)]
    pub tiktok_limit_rate: u32,
    /// TikTok limits: seconds measured from the workers' start [default: 180; quick: 90].
    #[arg(long)]
    pub tiktok_window_secs: Option<u64>,
    /// TikTok limits: the first seconds of the window, allowed for learning and reported apart.
    #[arg(long, default_value_t = 60)]
    pub tiktok_learn_secs: u64,
    /// `RUST_LOG` of the worker processes (logs in `target/bench/logs/`).
    #[arg(long, default_value = "warn")]
    pub worker_log: String,
    /// Node.js executable for the BullMQ side.
    #[arg(long, default_value = "node")]
    pub node: PathBuf,
    /// Directory of the BullMQ script and its `node_modules`.
    #[arg(long, default_value = "bench/bullmq")]
    pub bullmq_dir: PathBuf,
}

/// Resolved settings of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub quick: bool,
    pub phases: Vec<PhaseName>,
    #[serde(skip)]
    pub database_url: String,
    #[serde(skip)]
    pub redis_url: String,
    #[serde(skip)]
    pub bin_dir: PathBuf,
    #[serde(skip)]
    pub out: PathBuf,
    pub phase_timeout_secs: u64,
    pub workers: usize,
    pub accounts: usize,
    pub limit_rate: u32,
    pub write_products: usize,
    pub write_orders: usize,
    pub due_accounts: i64,
    pub claim_batch: i64,
    pub high_water: u64,
    pub crash_products: usize,
    pub kills: usize,
    pub kill_accounts: usize,
    pub queue_jobs: usize,
    pub queue_runs: usize,
    pub queue_concurrency: usize,
    pub queue_poll_ms: u64,
    pub listing_accounts: usize,
    pub listing_products: usize,
    pub listing_orders: usize,
    pub listing_requests: usize,
    pub listing_budget_secs: u64,
    pub listing_clients: usize,
    pub listing_secs: u64,
    pub tiktok_limit_rate: u32,
    pub tiktok_window_secs: u64,
    pub tiktok_learn_secs: u64,
    #[serde(skip)]
    pub worker_log: String,
    #[serde(skip)]
    pub node: PathBuf,
    #[serde(skip)]
    pub bullmq_dir: PathBuf,
}

impl Cli {
    /// Applies `--quick` to every count not given explicitly.
    pub fn settings(self) -> anyhow::Result<Settings> {
        let q = self.quick;
        let pick = |given: Option<usize>, full: usize, quick: usize| given.unwrap_or(if q { quick } else { full });
        let bin_dir = match self.bin_dir {
            Some(dir) => dir,
            None => {
                let exe = std::env::current_exe().map_err(|e| anyhow::anyhow!("Failed to locate ocean-bench: {e}"))?;
                exe.parent().map(PathBuf::from).unwrap_or_default()
            }
        };
        let mut phases = if self.phases.is_empty() {
            PhaseName::value_variants().to_vec()
        } else {
            self.phases
        };
        phases.sort();
        phases.dedup();
        let queue_jobs = pick(self.queue_jobs, 5000, 1000);
        anyhow::ensure!(
            queue_jobs < 8000,
            "--queue-jobs must stay below 8000: apalis-redis wedges past ~8,000 due jobs"
        );
        Ok(Settings {
            quick: q,
            phases,
            database_url: self.database_url,
            redis_url: self.redis_url,
            bin_dir,
            out: self.out,
            phase_timeout_secs: self.phase_timeout_secs,
            workers: pick(self.workers, 4, 2).max(1),
            accounts: pick(self.accounts, 100, 20).max(1),
            limit_rate: self.limit_rate.max(1),
            write_products: pick(self.write_products, 5000, 500).max(1),
            write_orders: pick(self.write_orders, 10_000, 1000).max(1),
            due_accounts: self.due_accounts.unwrap_or(if q { 10_000 } else { 100_000 }).max(1),
            claim_batch: self.claim_batch.unwrap_or(if q { 2000 } else { 10_000 }).max(1),
            high_water: self.high_water.max(1),
            crash_products: pick(self.crash_products, 1500, 600).max(100),
            kills: pick(self.kills, 20, 5).max(1),
            kill_accounts: pick(self.kill_accounts, 46, 12).max(1),
            queue_jobs: queue_jobs.max(1),
            queue_runs: pick(self.queue_runs, 3, 1).max(1),
            queue_concurrency: self.queue_concurrency.max(1),
            queue_poll_ms: self.queue_poll_ms.max(1),
            listing_accounts: pick(self.listing_accounts, 2000, 200).max(1),
            listing_products: self.listing_products,
            listing_orders: self.listing_orders,
            listing_requests: self.listing_requests.max(1),
            listing_budget_secs: self.listing_budget_secs.max(1),
            listing_clients: self.listing_clients.max(1),
            listing_secs: self.listing_secs.unwrap_or(if q { 2 } else { 5 }).max(1),
            tiktok_limit_rate: self.tiktok_limit_rate.max(1),
            tiktok_window_secs: self.tiktok_window_secs.unwrap_or(if q { 90 } else { 180 }).max(2),
            tiktok_learn_secs: self.tiktok_learn_secs,
            worker_log: self.worker_log,
            node: self.node,
            bullmq_dir: self.bullmq_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_well_formed() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn quick_picks_small_counts_and_explicit_flags_win() {
        let settings = Cli::parse_from(["ocean-bench", "--quick", "--accounts", "7"])
            .settings()
            .expect("valid settings");
        assert_eq!((settings.accounts, settings.workers, settings.queue_runs), (7, 2, 1));
        assert_eq!(settings.phases.len(), 8, "every phase by default");
        assert_eq!(settings.tiktok_window_secs, 90);
        assert_eq!(settings.listing_accounts, 200);
    }

    #[test]
    fn a_queue_past_the_apalis_wedge_is_refused() {
        assert!(
            Cli::parse_from(["ocean-bench", "--queue-jobs", "9000"])
                .settings()
                .is_err()
        );
    }
}

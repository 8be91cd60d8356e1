//! Prometheus metrics: the names every process records (one place, so dashboards, alerts and code agree)
//! and the exporter each process serves at `/metrics`.
//!
//! Conventions: `ocean_` prefix, base units (`_seconds`), `_total` for counters, histograms for durations,
//! and low-cardinality labels only (integration, endpoint, outcome, trigger, status; never an account id).

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

pub const HTTP_REQUESTS: &str = "ocean_http_requests_total";
pub const HTTP_DURATION: &str = "ocean_http_request_duration_seconds";
pub const JOBS_ENQUEUED: &str = "ocean_jobs_enqueued_total";
pub const JOBS_STARTED: &str = "ocean_jobs_started_total";
pub const JOBS_FINISHED: &str = "ocean_jobs_finished_total";
pub const SYNC_DURATION: &str = "ocean_sync_duration_seconds";
pub const RECORDS_SYNCED: &str = "ocean_records_synced_total";
pub const LEASE_CONFLICTS: &str = "ocean_lease_conflicts_total";
pub const MARKETPLACE_REQUESTS: &str = "ocean_marketplace_requests_total";
pub const MARKETPLACE_DURATION: &str = "ocean_marketplace_request_duration_seconds";
pub const MARKETPLACE_RATE_LIMITED: &str = "ocean_marketplace_rate_limited_total";
pub const MARKETPLACE_RETRIES: &str = "ocean_marketplace_retries_total";
pub const RATE_LIMITER_WAIT: &str = "ocean_rate_limiter_wait_seconds";
pub const ADAPTIVE_RATE_CHANGES: &str = "ocean_marketplace_adaptive_rate_changes_total";
pub const TOKEN_REFRESHES: &str = "ocean_token_refreshes_total";
pub const QUEUE_DEPTH: &str = "ocean_queue_depth";
pub const QUEUE_INFLIGHT: &str = "ocean_queue_inflight";
pub const INTENTS_WAITING: &str = "ocean_intents_waiting";
pub const ACCOUNTS: &str = "ocean_accounts";
pub const ACCOUNTS_FRESHNESS: &str = "ocean_accounts_freshness";
pub const SCHEDULER_TICKS: &str = "ocean_scheduler_ticks_total";
pub const SCHEDULER_LAG: &str = "ocean_scheduler_lag_seconds";
pub const INTENTS_SCHEDULED: &str = "ocean_intents_scheduled_total";
pub const INTENTS_RECOVERED: &str = "ocean_intents_recovered_total";
pub const LEASES_REAPED: &str = "ocean_leases_reaped_total";
pub const INTENT_REPAIRS: &str = "ocean_intent_repairs_total";
pub const BUILD_INFO: &str = "ocean_build_info";
pub const JOBS_PRUNED: &str = "ocean_queue_jobs_pruned_total";

/// Which process is exporting: each starts its own counters at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    Api,
    Scheduler,
    Worker,
}

/// Where a process serves `/metrics`.
#[derive(Args, Debug, Clone, Default)]
pub struct MetricsSettings {
    /// Address of this process's Prometheus endpoint (`/metrics`), or `off`. Each binary has its own
    /// default port: api 9101, scheduler 9102, worker 9103.
    #[arg(long = "metrics-addr", env = "OCEAN_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
}

impl MetricsSettings {
    /// Starts the exporter (needs a Tokio runtime), on `default` unless configured otherwise.
    pub fn install(&self, process: Process, default: &str) -> anyhow::Result<Option<SocketAddr>> {
        let addr = self.metrics_addr.as_deref().unwrap_or(default).trim();
        if addr.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let addr: SocketAddr = addr
            .parse()
            .with_context(|| format!("OCEAN_METRICS_ADDR `{addr}` is not host:port"))?;
        PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
            .install()
            .with_context(|| format!("Failed to serve metrics on {addr}"))?;
        describe();
        start_at_zero(process);
        build_info();
        tracing::info!(%addr, "metrics at /metrics");
        Ok(Some(addr))
    }
}

/// Seconds, from a fast marketplace call to a long sync.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

fn describe() {
    describe_counter!(HTTP_REQUESTS, "API requests by route, method and status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "API request latency by route and method.");
    describe_counter!(JOBS_ENQUEUED, "Sync jobs pushed to the queue, by trigger.");
    describe_counter!(JOBS_STARTED, "Sync jobs a worker started, by trigger.");
    describe_counter!(
        JOBS_FINISHED,
        "Sync jobs finished, by trigger and outcome (success, failure, skipped, partial)."
    );
    describe_histogram!(SYNC_DURATION, Unit::Seconds, "Duration of sync jobs by outcome.");
    describe_counter!(
        RECORDS_SYNCED,
        "Records written or pushed, by stream (products, orders, stock)."
    );
    describe_counter!(
        LEASE_CONFLICTS,
        "Jobs that found their account already syncing (the running sync or its follow-up serves them)."
    );
    describe_counter!(
        MARKETPLACE_REQUESTS,
        "Marketplace HTTP requests by endpoint and status."
    );
    describe_histogram!(
        MARKETPLACE_DURATION,
        Unit::Seconds,
        "Marketplace request latency by endpoint."
    );
    describe_counter!(MARKETPLACE_RATE_LIMITED, "Marketplace answers HTTP 429, by endpoint.");
    describe_counter!(
        MARKETPLACE_RETRIES,
        "Marketplace requests retried after a passing failure, by endpoint."
    );
    describe_histogram!(
        RATE_LIMITER_WAIT,
        Unit::Seconds,
        "Time spent waiting for the fleet rate limiter, by endpoint."
    );
    describe_counter!(
        ADAPTIVE_RATE_CHANGES,
        "Changes of the fleet's learnt TikTok Shop rate of a (shop, endpoint), by endpoint and direction (decrease on a 429, increase on probing)."
    );
    describe_counter!(
        TOKEN_REFRESHES,
        "Access tokens requested from the marketplace, by result."
    );
    describe_gauge!(
        QUEUE_DEPTH,
        "Jobs waiting to start: due in the scheduled set plus the active list."
    );
    describe_gauge!(QUEUE_INFLIGHT, "Jobs claimed by workers and not finished.");
    describe_gauge!(
        INTENTS_WAITING,
        "Sync intents waiting in Postgres for room in the queue."
    );
    describe_gauge!(ACCOUNTS, "Accounts by integration and status.");
    describe_gauge!(
        ACCOUNTS_FRESHNESS,
        "Enabled accounts by integration and freshness (on_time, delayed, stale)."
    );
    describe_counter!(SCHEDULER_TICKS, "Scheduler ticks by result (ok, error).");
    describe_histogram!(
        SCHEDULER_LAG,
        Unit::Seconds,
        "Time from an intent coming due to its job being fed."
    );
    describe_counter!(INTENTS_SCHEDULED, "Due schedules turned into intents.");
    describe_counter!(INTENTS_RECOVERED, "Intents fed again after the queue lost its jobs.");
    describe_counter!(
        LEASES_REAPED,
        "Syncs whose lease lapsed (their worker died or lost Postgres), handed back to run again."
    );
    describe_counter!(
        INTENT_REPAIRS,
        "Intents healed from a state that should not happen, by kind (lease_past_job_timeout, job_not_started)."
    );
    describe_counter!(JOBS_PRUNED, "Finished jobs removed from Redis after their retention.");
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label names the release this process runs."
    );
}

/// `ocean_build_info{version} 1`: which release each process runs (two versions during a rollout).
fn build_info() {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Exports the process's counters at zero from the start. The `metrics` crate shows a series only after
/// its first increment, and alerts and panels (`rate(...)`) need the series before the first event.
fn start_at_zero(process: Process) {
    use crate::{
        domain::{Outcome, SyncTrigger},
        marketplace::{Endpoint, tiktok_shop::ApiEndpoint},
    };
    let zero = |name: &'static str, labels: &[(&'static str, &'static str)]| {
        let labels: Vec<metrics::Label> = labels.iter().map(|(k, v)| metrics::Label::new(*k, *v)).collect();
        metrics::counter!(name, labels).increment(0);
    };
    let marketplace = || {
        for endpoint in Endpoint::ALL {
            zero(MARKETPLACE_RATE_LIMITED, &[("endpoint", endpoint.as_str())]);
            zero(MARKETPLACE_RETRIES, &[("endpoint", endpoint.as_str())]);
        }
        for endpoint in ApiEndpoint::ALL {
            for direction in ["decrease", "increase"] {
                zero(
                    ADAPTIVE_RATE_CHANGES,
                    &[("endpoint", endpoint.as_str()), ("direction", direction)],
                );
            }
        }
        for result in ["ok", "error"] {
            zero(TOKEN_REFRESHES, &[("result", result)]);
        }
    };
    match process {
        Process::Api => {
            zero(JOBS_ENQUEUED, &[("trigger", SyncTrigger::Manual.as_str())]);
            marketplace();
        }
        Process::Scheduler => {
            for trigger in SyncTrigger::ALL {
                zero(JOBS_ENQUEUED, &[("trigger", trigger.as_str())]);
            }
            for result in ["ok", "error"] {
                zero(SCHEDULER_TICKS, &[("result", result)]);
            }
            zero(INTENTS_SCHEDULED, &[]);
            zero(INTENTS_RECOVERED, &[]);
            zero(LEASES_REAPED, &[]);
            for kind in ["lease_past_job_timeout", "job_not_started"] {
                zero(INTENT_REPAIRS, &[("kind", kind)]);
            }
            zero(JOBS_PRUNED, &[]);
        }
        Process::Worker => {
            for trigger in SyncTrigger::ALL {
                zero(JOBS_ENQUEUED, &[("trigger", trigger.as_str())]);
                zero(JOBS_STARTED, &[("trigger", trigger.as_str())]);
                for outcome in Outcome::ALL {
                    zero(
                        JOBS_FINISHED,
                        &[("trigger", trigger.as_str()), ("outcome", outcome.as_str())],
                    );
                }
            }
            for stream in ["products", "orders", "stock"] {
                zero(RECORDS_SYNCED, &[("stream", stream)]);
            }
            zero(LEASE_CONFLICTS, &[]);
            marketplace();
        }
    }
}

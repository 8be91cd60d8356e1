//! The results of one run: a table on stdout and the same figures as JSON.

use std::{collections::BTreeMap, path::Path};

use anyhow::Context;
use serde::Serialize;

use crate::{
    cli::Settings,
    machine::{Machine, Versions},
    phases::{
        crash::CrashResult,
        emission::EmissionResult,
        kills::KillsResult,
        limits::LimitsResult,
        listing::{ListingResult, Sequential},
        queue::{QueueResult, Rounds},
        tiktok_limits::{Period, TikTokLimitsResult},
        writes::WritesResult,
    },
};

/// Everything one run measured; a phase that failed is `None` with its error in `errors`.
#[derive(Debug, Serialize)]
pub struct Results {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub total_secs: f64,
    pub machine: Machine,
    pub versions: Versions,
    pub settings: Settings,
    pub limits: Option<LimitsResult>,
    pub writes: Option<WritesResult>,
    pub emission: Option<EmissionResult>,
    pub crash: Option<CrashResult>,
    pub kills: Option<KillsResult>,
    pub queue: Option<QueueResult>,
    pub listing: Option<ListingResult>,
    pub tiktok_limits: Option<TikTokLimitsResult>,
    /// Phase name to error.
    pub errors: BTreeMap<String, String>,
}

/// Rows of (phase, figure, value).
#[derive(Default)]
struct Table(Vec<[String; 3]>);

impl Table {
    fn add(&mut self, phase: &str, what: impl Into<String>, value: impl Into<String>) {
        self.0.push([phase.to_owned(), what.into(), value.into()]);
    }

    fn render(&self, total_secs: f64) -> String {
        let width = |i: usize| self.0.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1) = (width(0), width(1));
        let rule = format!("{}\n", "-".repeat(w0 + w1 + 50));
        let mut out = rule.clone();
        for [phase, what, value] in &self.0 {
            out.push_str(&format!("{phase:<w0$}  {what:<w1$}  {value}\n"));
        }
        out.push_str(&rule);
        out.push_str(&format!("ocean-bench finished in {total_secs:.1} s\n"));
        out
    }
}

impl Results {
    /// Writes the JSON file, creating its directory.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(self).context("Failed to serialize the results")?;
        std::fs::write(path, json + "\n").with_context(|| format!("Failed to write {}", path.display()))
    }

    /// The final table: one row per figure.
    pub fn table(&self) -> String {
        let mut t = Table::default();
        let (m, v) = (&self.machine, &self.versions);
        t.add("machine", "nproc / CPU", format!("{} / {}", m.nproc, m.cpu_model));
        t.add(
            "machine",
            "memory / kernel",
            format!("{} GiB / {}", m.memory_gib, m.kernel),
        );
        let versions = format!("{} / {} / {}", v.postgres, v.redis, v.node);
        t.add("versions", "Postgres / Redis / node", versions);
        if let Some(l) = &self.limits {
            limits(&mut t, l);
        }
        if let Some(w) = &self.writes {
            writes(&mut t, w);
        }
        if let Some(e) = &self.emission {
            emission(&mut t, e);
        }
        if let Some(c) = &self.crash {
            crash(&mut t, c);
        }
        if let Some(k) = &self.kills {
            kills(&mut t, k);
        }
        if let Some(q) = &self.queue {
            queue(&mut t, q);
        }
        if let Some(l) = &self.listing {
            listing(&mut t, l);
        }
        if let Some(l) = &self.tiktok_limits {
            tiktok_limits(&mut t, l);
        }
        for (phase, error) in &self.errors {
            t.add(phase, "FAILED", error.clone());
        }
        t.render(self.total_secs)
    }
}

fn limits(t: &mut Table, l: &LimitsResult) {
    let p = "1 limits";
    t.add(
        p,
        "workers × accounts (one app)",
        format!("{} × {}", l.workers, l.accounts),
    );
    let (limit, headroom) = (l.limit_per_sec, l.worker_headroom * 100.0);
    let value = format!("{limit} req/s, burst {limit}; the fleet aims at {headroom:.0}%");
    t.add(p, "limit per (app, endpoint)", value);
    for (name, e) in &l.endpoints {
        let (limit, share, sustained) = (l.limit_per_sec, e.share_of_limit, e.sustained_share_of_limit);
        let (share, sustained) = (share * 100.0, sustained * 100.0);
        let value = format!(
            "{:.2} ÷ {limit} = {share:.0}% ({} req; {sustained:.0}% without the first burst)",
            e.per_sec, e.requests
        );
        t.add(p, format!("{name}: req/s ÷ limit"), value);
    }
    t.add(p, "429 answers", l.total_429.to_string());
    let per_min = format!("{:.0} ({} synced, {} failed)", l.accounts_per_min, l.synced, l.failed);
    t.add(p, "accounts synced per minute", per_min);
    t.add(
        p,
        "sync window / wall",
        format!("{:.1} s / {:.1} s", l.window_secs, l.wall_secs),
    );
}

fn writes(t: &mut Table, w: &WritesResult) {
    let p = "2 writes";
    let (pb, ob) = (w.product_raw_bytes, w.order_raw_bytes);
    let rows = format!("{} products ({pb} B), {} orders ({ob} B)", w.products, w.orders);
    t.add(p, "rows (mean raw JSON)", rows);
    let (first, again) = (w.ours_products.first_pass, w.ours_products.second_pass);
    t.add(
        p,
        "products/s upsert, fenced, 50/page",
        format!("{first:.0} first, {again:.0} re-sync"),
    );
    t.add(p, "products/s COPY", format!("{:.0}", w.copy_products));
    let (first, again) = (w.ours_orders.first_pass, w.ours_orders.second_pass);
    t.add(
        p,
        "orders/s upsert, fenced, 100/page",
        format!("{first:.0} first, {again:.0} re-sync"),
    );
    t.add(p, "orders/s COPY", format!("{:.0}", w.copy_orders));
}

fn emission(t: &mut Table, e: &EmissionResult) {
    let p = "3 emission";
    let what = format!("claim_due {} due, batches of {}", e.accounts, e.claim_batch);
    let value = format!(
        "{:.2} s = {:.0} accounts/s ({} tx)",
        e.claim_secs, e.claimed_per_sec, e.claim_transactions
    );
    t.add(p, what, value);
    let ceiling = e.default_batch as f64 * 1000.0 / e.default_tick_ms.max(1) as f64;
    let value = format!(
        "≤ {ceiling:.0} accounts/s ({} / {} ms)",
        e.default_batch, e.default_tick_ms
    );
    t.add(p, "one scheduler at defaults (batch / tick)", value);
    let value = format!(
        "{:.3} s ({} fed; SQL alone {:.3} s)",
        e.feed_secs, e.fed, e.feed_sql_secs
    );
    t.add(p, format!("feed {} into Redis (run_tick)", e.high_water), value);
}

fn kills(t: &mut Table, k: &KillsResult) {
    let p = "5 kills";
    let what = format!(
        "{} SIGKILLs, {} accounts × 1 min, {} workers, {} schedulers",
        k.kills, k.accounts, k.workers, k.schedulers
    );
    let value = format!(
        "{} sync-nows, all served; {} retries, {} busy skips",
        k.sync_nows, k.retries, k.busy_skips
    );
    t.add(p, what, value);
    let value = format!(
        "{:.1} s (bound {} s; {} ok, {} failed syncs)",
        k.last_kill_to_all_synced_secs, k.bound_secs, k.successes, k.failures
    );
    t.add(p, "last kill → every account synced again", value);
}

fn crash(t: &mut Table, c: &CrashResult) {
    let p = "4 crash";
    let (hb, missed, lease, tick) = (
        c.heartbeat_secs,
        c.missed_heartbeats,
        c.lease_ttl_secs,
        c.scheduler_tick_ms,
    );
    let value = format!("{hb} s × {missed}, {lease} s (scheduler tick {tick} ms)");
    t.add(p, "heartbeat × missed, lease TTL", value);
    t.add(
        p,
        "SIGKILL → sync re-starts",
        format!("{:.1} s", c.kill_to_restart_secs),
    );
    let skipped = c.skipped_on_live_lease;
    let value = format!(
        "{:.1} s ({skipped} skipped on the live lease)",
        c.kill_to_completed_secs
    );
    t.add(p, "SIGKILL → re-run completed", value);
}

fn queue(t: &mut Table, q: &QueueResult) {
    let p = "6 queue";
    let o = &q.ours;
    let what = format!(
        "ours (apalis-redis): {} no-op jobs, concurrency {}",
        o.jobs, o.concurrency
    );
    t.add(
        p,
        what,
        rounds("live", &o.live, &format!("push {:.2} s", o.push.median_secs)),
    );
    let what = format!("ours: poll {} ms, fetch {}", o.poll_interval_ms, o.fetch_batch);
    t.add(p, what, rounds("drain", &o.drain, ""));
    match (&q.bullmq, &q.bullmq_error) {
        (Some(b), _) => {
            let what = format!("BullMQ {}: same jobs, concurrency {}", b.bullmq_version, b.concurrency);
            t.add(
                p,
                what,
                rounds("live", &b.live, &format!("addBulk {:.2} s", b.push.median_secs)),
            );
            t.add(p, "BullMQ", rounds("drain", &b.drain, ""));
        }
        (None, Some(e)) => t.add(p, "BullMQ", format!("failed: {e}")),
        (None, None) => {}
    }
}

fn listing(t: &mut Table, l: &ListingResult) {
    let p = "7 listing";
    let what = format!(
        "{} accounts × {} products, {} orders",
        l.accounts, l.products_per_account, l.orders_per_account
    );
    let value = format!(
        "{} products, {} orders ({:.0} MiB), {} sync logs; filled in {:.1} s",
        l.products, l.orders, l.data_mib, l.sync_logs, l.fill_secs
    );
    t.add(p, what, value);
    let unchanged = |n: usize| {
        if n > 0 {
            format!(", {n} of them 304")
        } else {
            String::new()
        }
    };
    let sequential = |t: &mut Table, what: &str, s: &Sequential| {
        let value = format!(
            "p50 {:.1} ms, p95 {:.1} ms, {:.1} req/s ({} sequential{}; {} KB)",
            s.p50_ms,
            s.p95_ms,
            s.per_sec,
            s.requests,
            unchanged(s.not_modified),
            s.body_bytes / 1000
        );
        t.add(p, what, value);
    };
    sequential(t, "GET /api/…/accounts, page 1 of 50 (bearer)", &l.api_list);
    sequential(t, "GET console …/accounts/live (poll, ETag)", &l.live);
    sequential(t, "GET console …/dashboard (session)", &l.dashboard);
    let c = &l.live_concurrent;
    let what = format!("…/accounts/live, {} clients for {:.0} s", c.clients, c.secs);
    let value = format!(
        "{:.1} req/s (p50 {:.0} ms, p95 {:.0} ms; {} req{}) ≈ {:.0} open pages polling every {:.0} s",
        c.per_sec,
        c.p50_ms,
        c.p95_ms,
        c.requests,
        unchanged(c.not_modified),
        c.open_pages,
        l.poll_secs
    );
    t.add(p, what, value);
}

fn tiktok_limits(t: &mut Table, l: &TikTokLimitsResult) {
    let p = "8 tiktok-limits";
    let what = "workers × slots, shops (one app)";
    let value = format!(
        "{} × {}, {} shops ({} consents); {} synced, {} failed syncs",
        l.workers, l.worker_concurrency, l.shops, l.consents, l.shops_synced, l.failed_syncs
    );
    t.add(p, what, value);
    let value = format!(
        "{} req/s, burst {}, {} (the client is not told)",
        l.limit_per_sec, l.limit_burst, l.limit_scope
    );
    t.add(p, "hidden limit", value);
    let raised = match (l.ceiling_raised, l.adaptive_defaults) {
        (true, _) => " (ceiling raised above the limit)",
        (false, true) => " (defaults)",
        (false, false) => " (NOT the defaults: OCEAN_TIKTOK_SHOP_RATE_* set)",
    };
    let value = format!(
        "ceiling {}, ×{} per 429 on the first descent then ×{} (cooldown {} ms), +{} % per {} successes, floor {}{raised}",
        l.ceiling,
        l.decrease,
        l.trim,
        l.cooldown_ms,
        l.increase * 100.0,
        l.probe_successes,
        l.floor
    );
    t.add(p, "adaptive limit, req/s per key", value);
    let value = format!(
        "{} order windows per shop (lookback {} days, page budget {}); {} products, {} orders",
        l.windows_per_shop, l.order_lookback_days, l.job_page_budget, l.products_per_shop, l.orders_per_shop
    );
    t.add(p, "busy keys: each sync's order-search", value);
    let period = |t: &mut Table, what: &str, x: &Period| {
        let value = format!(
            "{:.2} ÷ {} = {:.1}% ({:.1} keys busy over {:.0} s); 429s {} of {} = {:.2}%{}",
            x.per_key_rate,
            l.limit_per_sec,
            x.share_of_limit * 100.0,
            x.mean_busy_keys,
            x.secs,
            x.rate_limited,
            x.requests,
            x.share_429 * 100.0,
            x.learnt_rate.map_or(String::new(), |[min, mean, max]| format!(
                "; learnt {min:.1}/{mean:.1}/{max:.1}"
            ))
        );
        t.add(p, what, value);
    };
    period(t, "first minute: busy key req/s ÷ limit", &l.first);
    period(t, "after it: busy key req/s ÷ limit", &l.after);
    let verdict = if l.bar_missed().is_some() { "MISSED" } else { "met" };
    let value = format!(
        "≥ {:.0}% of the limit, ≤ {:.0}% 429s after the first minute: {verdict}",
        l.bar_min_share_of_limit * 100.0,
        l.bar_max_share_429 * 100.0
    );
    t.add(p, "bar", value);
}

/// `N jobs/s <round> (median s of runs; extra)`.
fn rounds(round: &str, r: &Rounds, extra: &str) -> String {
    let runs = if r.secs.len() > 1 {
        format!(" of {}", r.secs.len())
    } else {
        String::new()
    };
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("; {extra}")
    };
    let (rate, median) = (r.jobs_per_sec, r.median_secs);
    format!("{rate:.0} jobs/s {round} (median {median:.2} s{runs}{extra})")
}

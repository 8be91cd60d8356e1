//! Live scrape: the real binaries (simulator, api, scheduler, worker) sync an account against a fresh
//! Postgres database and a private Redis namespace, each serving `/metrics` on its own loopback port.
//! `promtool check metrics` must find nothing in any scrape, and a real Prometheus scraping them (plus the
//! standard Postgres and Redis exporters) with deploy/'s rules loaded must hold a series for every metric that
//! an alert, a recording rule or a Grafana panel names. Tools: scripts/tools.sh (`make test` runs it).
//! `OCEAN_DEPLOY_DIR` checks another copy of deploy/ (default: the repository's).

mod processes;
mod rules;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use ocean_core::{db::accounts, domain::AccountId};
use processes::{Processes, free_addr};
use rules::{copy_rules, dashboard_metrics, metric_names};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

const ADMIN_TOKEN: &str = "observability-admin-token-0123456789";

#[sqlx::test(migrator = "ocean_core::MIGRATOR")]
async fn every_metric_named_by_alerts_rules_and_dashboards_is_exported(pool: PgPool) {
    let started = Instant::now();
    let deploy = deploy_dir();
    let bins = build_binaries().await;
    let queue = ocean_testkit::fresh_queue().await;
    let keys = ocean_testkit::keyring_spec();
    let mut processes = Processes::new();

    // The marketplace: a small shop that syncs in a moment, limits that never bite.
    let world = processes.dir.join("world.json");
    std::fs::write(&world, serde_json::to_vec(&small_world()).unwrap()).unwrap();
    let sim_addr = free_addr();
    let sim_url = format!("http://{sim_addr}");
    let sim_metrics = free_addr();
    let mut sim = tokio::process::Command::new(&bins["ocean-sim"]);
    sim.env("OCEAN_SIM_ADDR", &sim_addr)
        .env("OCEAN_SIM_METRICS_ADDR", &sim_metrics)
        .env("OCEAN_SIM_CONFIG", &world)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    processes.spawn("ocean-sim", sim, &sim_metrics);
    processes.wait_ok("ocean-sim", &format!("{sim_url}/sim/stats")).await;

    let process = |name: &str, metrics: &str| {
        let mut command = ocean_testkit::service_process(&bins[name], &pool, &sim_url, queue.name(), &keys);
        command.env("OCEAN_METRICS_ADDR", metrics);
        command
    };
    let api_addr = free_addr();
    let api_url = format!("http://{api_addr}");
    let metrics = free_addr();
    let mut api = process("ocean-api", &metrics);
    api.arg("serve")
        .env("OCEAN_API_ADDR", &api_addr)
        .env("OCEAN_ADMIN_TOKEN", ADMIN_TOKEN);
    processes.spawn("ocean-api", api, &metrics);
    processes.wait_ok("ocean-api", &format!("{api_url}/readyz")).await;
    let metrics = free_addr();
    let mut worker = process("ocean-worker", &metrics);
    worker
        .env("OCEAN_POLL_INTERVAL_MS", "100")
        .env("OCEAN_MARKETPLACE_RATE_PER_SEC", "1000")
        .env("OCEAN_MARKETPLACE_BURST", "1000");
    processes.spawn("ocean-worker", worker, &metrics);

    // An account through the api (so its request series exist), before the scheduler starts: its first
    // tick exports the account gauges, later ticks come only every 15 s.
    let account = create_account(&api_url).await;
    let metrics = free_addr();
    let mut scheduler = process("ocean-scheduler", &metrics);
    scheduler.env("OCEAN_SCHEDULER_TICK_MS", "200");
    processes.spawn("ocean-scheduler", scheduler, &metrics);
    for name in ["ocean-api", "ocean-worker", "ocean-scheduler"] {
        let metrics = processes.metrics_url(name);
        processes.wait_ok(name, &metrics).await;
    }

    // The standard exporters of the dashboard's Postgres and Redis panels, and Prometheus itself.
    let pg_exporter = free_addr();
    let mut command = tokio::process::Command::new("prometheus-postgres-exporter");
    command
        .arg(format!("--web.listen-address={pg_exporter}"))
        .arg("--log.level=warn")
        .env("DATA_SOURCE_NAME", postgres_exporter_dsn())
        .kill_on_drop(true);
    processes.spawn("postgres-exporter", command, &pg_exporter);
    let redis_exporter = free_addr();
    let mut command = tokio::process::Command::new("prometheus-redis-exporter");
    command
        .arg(format!("-web.listen-address={redis_exporter}"))
        .arg(format!("-redis.addr={}", ocean_testkit::redis_url()))
        .kill_on_drop(true);
    processes.spawn("redis-exporter", command, &redis_exporter);
    for name in ["postgres-exporter", "redis-exporter"] {
        let metrics = processes.metrics_url(name);
        processes.wait_ok(name, &metrics).await;
    }
    let rule_files = copy_rules(&deploy.join("prometheus/rules"), &processes.dir.join("rules"));
    let prometheus = processes.start_prometheus().await;

    let synced = processes
        .wait_for("the account's first sync", Duration::from_secs(60), || async {
            let a = accounts::get(&pool, account).await.ok().flatten()?;
            (a.sync_count + a.error_count > 0).then_some(a)
        })
        .await;
    assert_eq!(synced.error_count, 0, "the sync failed: {:?}", synced.last_error);

    // promtool's lint of every process's exposition, after the sync filled the histograms; and each
    // names its release.
    let build_info = format!("ocean_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    let mut findings = Vec::new();
    for name in ["ocean-sim", "ocean-api", "ocean-scheduler", "ocean-worker"] {
        let exposition = scrape(&processes.metrics_url(name)).await;
        if let Some(problems) = promtool_check_metrics(&exposition).await {
            findings.push(format!("{name}:\n{problems}"));
        }
        if !exposition.lines().any(|line| line == build_info) {
            findings.push(format!("{name}: no `{build_info}` line"));
        }
    }
    assert!(findings.is_empty(), "problems in the scrapes:\n{}", findings.join("\n"));

    // Every rule file loaded and every rule evaluated without error.
    let rules = processes
        .wait_for("Prometheus to evaluate every rule", Duration::from_secs(30), || async {
            let rules = prometheus.rules().await?;
            rules.iter().all(|r| r.health != "unknown").then_some(rules)
        })
        .await;
    assert_eq!(
        rules.len(),
        rule_files.rules,
        "Prometheus loaded {} rules, {:?} declare {}",
        rules.len(),
        rule_files.files,
        rule_files.rules
    );
    let broken: Vec<String> = rules
        .iter()
        .filter(|r| r.health != "ok")
        .map(|r| format!("{} ({}): {}", r.name, r.health, r.last_error))
        .collect();
    assert!(
        broken.is_empty(),
        "rules that do not evaluate:\n  {}",
        broken.join("\n  ")
    );

    // Every name used must have a series. Recording rules' own names are used by alerts; they must have a
    // series too, which shows their inputs exist.
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in &rules {
        for name in metric_names(&rule.query) {
            used.entry(name)
                .or_default()
                .insert(format!("{}: {}", rule.file, rule.name));
        }
    }
    for (name, source) in dashboard_metrics(&deploy.join("grafana/dashboards")) {
        used.entry(name).or_default().insert(source);
    }
    for rule in rules.iter().filter(|r| r.kind == "recording") {
        used.entry(rule.name.clone())
            .or_default()
            .insert(format!("{}: recorded by this rule", rule.file));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let missing = loop {
        let exported = prometheus.metric_names().await;
        let missing: Vec<&String> = used.keys().filter(|n| !exported.contains(*n)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        processes.check_alive();
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        missing.is_empty(),
        "metrics named in {} that no process exports (no series in Prometheus after 20 s):\n{}",
        deploy.display(),
        missing
            .iter()
            .map(|n| format!("  {n}  <- {}", used[*n].iter().cloned().collect::<Vec<_>>().join("; ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let recorded = rules.iter().filter(|r| r.kind == "recording").count();
    println!(
        "observability: {} names used by {} rules and the dashboards have series ({} of them recorded by \
         rules); {:.1} s",
        used.len(),
        rules.len(),
        recorded,
        started.elapsed().as_secs_f64()
    );

    processes.shutdown().await;
}

/// The deploy/ directory to check: `OCEAN_DEPLOY_DIR`, or the repository's.
fn deploy_dir() -> PathBuf {
    std::env::var_os("OCEAN_DEPLOY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy"))
}

/// Builds the four binaries with the profile of this test (a no-op when they are up to date) and returns
/// their paths, as cargo reports them.
async fn build_binaries() -> BTreeMap<String, String> {
    let mut cargo = tokio::process::Command::new(env!("CARGO"));
    cargo
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "build",
            "--locked",
            "--quiet",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .args([
            "-p",
            "ocean-sim",
            "-p",
            "ocean-api",
            "-p",
            "ocean-scheduler",
            "-p",
            "ocean-worker",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    // Build as from a shell: cargo sets these for this test, and build scripts that watch them (ring
    // watches CARGO_MANIFEST_DIR) would rebuild their crates here and again in the next `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&name.as_ref())
        {
            cargo.env_remove(name.as_ref());
        }
    }
    let output = tokio::time::timeout(Duration::from_secs(900), cargo.output())
        .await
        .expect("cargo build of the binaries did not finish within 15 minutes")
        .expect("run cargo build");
    assert!(
        output.status.success(),
        "cargo build of the binaries failed (see above)"
    );
    let mut bins = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let (Some(name), Some(exe)) = (message["target"]["name"].as_str(), message["executable"].as_str()) {
            bins.insert(name.to_owned(), exe.to_owned());
        }
    }
    for name in ["ocean-sim", "ocean-api", "ocean-scheduler", "ocean-worker"] {
        assert!(bins.contains_key(name), "cargo build reported no {name} binary");
    }
    bins
}

fn small_world() -> ocean_sim::SimConfig {
    let mut world = ocean_sim::SimConfig::demo();
    world.apps.truncate(1);
    let shop = &mut world.apps[0].shops[0];
    (shop.products, shop.orders, shop.order_days, shop.latency_ms) = (60, 80, 10, 0);
    world.rate_limit = ocean_sim::RateLimit {
        rate_per_sec: 1000.0,
        burst: 1000,
    };
    world
}

async fn create_account(api_url: &str) -> AccountId {
    let world = small_world();
    let (app, shop) = (&world.apps[0], &world.apps[0].shops[0]);
    let http = reqwest::Client::new();
    let accounts = format!("{api_url}/api/integrations/tokopedia/accounts");
    let body = json!({
        "account_name": "Observed Shop",
        "credentials": { "fs_id": app.fs_id, "shop_id": shop.shop_id, "client_id": app.client_id, "client_secret": app.client_secret },
        "features": ["product_management", "order_management", "shop_info"],
    });
    let response = http
        .post(&accounts)
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("api reachable");
    assert_eq!(response.status(), 201, "create account");
    let created: Value = response.json().await.expect("json answer");
    let listed = http
        .get(&accounts)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("api reachable");
    assert_eq!(listed.status(), 200, "list accounts");
    AccountId(created["data"]["id"].as_i64().expect("account id"))
}

/// postgres_exporter reads the whole server's statistics through its maintenance database (`DATABASE_URL`).
/// The exporter needs `sslmode` spelled out to talk to a server without TLS.
fn postgres_exporter_dsn() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if url.contains("sslmode=") {
        url
    } else {
        format!("{url}{}sslmode=disable", if url.contains('?') { '&' } else { '?' })
    }
}

async fn scrape(url: &str) -> String {
    reqwest::get(url)
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("scrape {url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("scrape {url}: {e}"))
}

/// `promtool check metrics` on one exposition: `None` when clean, else what it printed.
async fn promtool_check_metrics(exposition: &str) -> Option<String> {
    let mut promtool = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run promtool (scripts/tools.sh installs it)");
    let mut stdin = promtool.stdin.take().expect("promtool stdin");
    stdin.write_all(exposition.as_bytes()).await.expect("feed promtool");
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(30), promtool.wait_with_output())
        .await
        .expect("promtool check metrics did not finish within 30 s")
        .expect("promtool output");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (!output.status.success() || !printed.trim().is_empty()).then(|| format!("  {}", printed.trim()))
}

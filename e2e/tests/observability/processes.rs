//! The test's processes (the four binaries, the exporters, Prometheus) and Prometheus' HTTP API.

use std::{
    collections::BTreeSet,
    fs::File,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::process::Child;

/// A free loopback address: bound and released at once, so the process started with it can take it.
pub fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().to_string()
}

/// The processes of the test, their logs and Prometheus' storage in one temporary directory. Children
/// are killed when they are dropped (also on a failed assertion); the directory is kept then, for
/// its logs, and removed by [`Processes::shutdown`].
pub struct Processes {
    pub dir: PathBuf,
    children: Vec<(String, Child, String)>,
}

impl Processes {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ocean-observability-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        Self {
            dir,
            children: Vec::new(),
        }
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    /// Starts `command` with its output in `<name>.log`; it serves metrics on `metrics_addr`.
    pub fn spawn(&mut self, name: &str, mut command: tokio::process::Command, metrics_addr: &str) {
        let log = File::create(self.log(name)).expect("log file");
        command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e} (scripts/tools.sh installs the tools)"));
        self.children.push((name.to_owned(), child, metrics_addr.to_owned()));
    }

    /// Where process `name` serves its metrics (`host:port`).
    pub fn metrics_addr(&self, name: &str) -> &str {
        let (_, _, addr) = self
            .children
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not started"));
        addr
    }

    pub fn metrics_url(&self, name: &str) -> String {
        format!("http://{}/metrics", self.metrics_addr(name))
    }

    /// Panics with the log of any process that has exited.
    pub fn check_alive(&mut self) {
        for (name, child, _) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                panic!(
                    "{name} exited ({status}); last lines of its log:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        }
    }

    /// Polls `check` every 100 ms until it yields a value; fails after `limit` or when a process exits.
    pub async fn wait_for<T, Fut: Future<Output = Option<T>>>(
        &mut self,
        what: &str,
        limit: Duration,
        mut check: impl FnMut() -> Fut,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            self.check_alive();
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `url` answers 200 (30 s at most).
    pub async fn wait_ok(&mut self, name: &str, url: &str) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let what = format!("{name} to answer {url}");
        self.wait_for(&what, Duration::from_secs(30), || async {
            let response = http.get(url).send().await.ok()?;
            response.status().is_success().then_some(())
        })
        .await;
    }

    /// Prometheus on a free loopback port: every process scraped each second under the job names of
    /// deploy/prometheus/prometheus.yml, the copied rule files loaded.
    pub async fn start_prometheus(&mut self) -> Prometheus {
        let jobs = [
            ("ocean-api", "ocean-api"),
            ("ocean-scheduler", "ocean-scheduler"),
            ("ocean-worker", "ocean-worker"),
            ("ocean-sim", "ocean-sim"),
            ("postgres", "postgres-exporter"),
            ("redis", "redis-exporter"),
        ];
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - rules/*.yml\nscrape_configs:\n",
        );
        for (job, process) in jobs {
            let target = self.metrics_addr(process);
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [\"{target}\"]\n"
            ));
        }
        let config_file = self.dir.join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        let addr = free_addr();
        let mut command = tokio::process::Command::new("prometheus");
        command
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.tsdb.path={}", self.dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .kill_on_drop(true);
        self.spawn("prometheus", command, &addr);
        let url = format!("http://{addr}");
        self.wait_ok("prometheus", &format!("{url}/-/ready")).await;
        Prometheus {
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Stops every process and removes the directory.
    pub async fn shutdown(mut self) {
        for (_, child, _) in &mut self.children {
            let _ = child.kill().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        self.children.clear();
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        if !self.children.is_empty() {
            eprintln!("observability: logs and Prometheus data kept in {}", self.dir.display());
        }
        // The children are killed as they drop (`kill_on_drop`).
    }
}

pub fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

pub struct Prometheus {
    url: String,
    http: reqwest::Client,
}

pub struct Rule {
    pub file: String,
    pub kind: String,
    pub name: String,
    pub query: String,
    pub health: String,
    pub last_error: String,
}

impl Prometheus {
    pub async fn get(&self, path: &str) -> Option<Value> {
        let answer: Value = self
            .http
            .get(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (answer["status"] == "success").then(|| answer["data"].clone())
    }

    /// Every rule with its query and health (`unknown` until first evaluated).
    pub async fn rules(&self) -> Option<Vec<Rule>> {
        let data = self.get("/api/v1/rules").await?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let mut rules = Vec::new();
        for group in data["groups"].as_array()? {
            let file = Path::new(group["file"].as_str().unwrap_or_default())
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            for rule in group["rules"].as_array()? {
                rules.push(Rule {
                    file: file.clone(),
                    kind: text(&rule["type"]),
                    name: text(&rule["name"]),
                    query: text(&rule["query"]),
                    health: text(&rule["health"]),
                    last_error: text(&rule["lastError"]),
                });
            }
        }
        Some(rules)
    }

    /// The names of all metrics with at least one series.
    pub async fn metric_names(&self) -> BTreeSet<String> {
        let data = self.get("/api/v1/label/__name__/values").await.unwrap_or_default();
        data.as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }
}

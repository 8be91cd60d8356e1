//! The machine and the versions a run measured, so figures from two machines are never compared blindly.

use anyhow::Context;
use redis::aio::ConnectionManager;
use serde::Serialize;
use sqlx::PgPool;

/// Hardware the bench ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

/// Versions of what was measured.
#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub ocean_bench: &'static str,
    pub postgres: String,
    pub redis: String,
    pub node: String,
}

/// Reads `/proc` (Linux); unknown fields say so instead of failing the run.
pub fn machine() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or_else(|| "unknown".to_owned(), |(_, model)| model.trim().to_owned());
    let mem_kib: f64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    Machine {
        nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
    }
}

/// Asks each server (and `node`) for its version.
pub async fn versions(
    admin: &PgPool,
    mut redis: ConnectionManager,
    node: &std::path::Path,
) -> anyhow::Result<Versions> {
    let postgres: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(admin)
        .await
        .context("Failed to read the Postgres version")?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut redis)
        .await
        .context("Failed to read the Redis version")?;
    let redis = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_owned();
    let node = tokio::process::Command::new(node)
        .arg("--version")
        .output()
        .await
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "not found".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
    Ok(Versions {
        ocean_bench: env!("CARGO_PKG_VERSION"),
        postgres,
        redis,
        node,
    })
}

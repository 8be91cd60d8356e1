//! What every phase runs inside: a fresh database `ocean_bench_<phase>` (migrated, dropped afterwards), a Redis
//! namespace `bench:<uuid>` (its keys deleted afterwards, never FLUSHALL: the server is shared), a time limit,
//! and Ctrl-C handling. Cleanup runs whether the phase succeeded, failed, timed out or was interrupted.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use redis::aio::ConnectionManager;
use secrecy::SecretString;
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use ocean_core::{config::RedisSettings, queue};

/// A phase stopped by Ctrl-C; the run stops after cleaning up.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The Postgres and Redis servers the bench runs against, checked to be on loopback.
pub struct Servers {
    admin: PgPool,
    admin_url: String,
    redis_url: String,
    redis: ConnectionManager,
}

/// One phase's private resources.
pub struct Phase {
    /// Pool on the phase's own database.
    pub pool: PgPool,
    /// URL of that database, for child processes.
    pub database_url: String,
    /// Redis URL, for child processes.
    pub redis_url: String,
    /// A connection to Redis.
    pub redis: ConnectionManager,
    /// Every Redis key of the phase starts with this (`bench:<uuid>`).
    pub prefix: String,
}

impl Phase {
    /// Redis settings for a queue named `<prefix>:<name>`.
    pub fn redis_settings(&self, name: &str) -> RedisSettings {
        RedisSettings {
            redis_url: SecretString::from(self.redis_url.clone()),
            queue_name: format!("{}:{name}", self.prefix),
        }
    }
}

impl Servers {
    /// Connects to both servers; refuses anything but loopback (the bench generates load).
    pub async fn connect(database_url: &str, redis_url: &str) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(database_url).context("Failed to parse the Postgres URL")?;
        let host = options.get_host();
        anyhow::ensure!(
            is_loopback(host) || host.starts_with('/'),
            "Postgres must be on 127.0.0.1 (got host {host})"
        );
        let client = redis::Client::open(redis_url).context("Failed to parse the Redis URL")?;
        match client.get_connection_info().addr() {
            redis::ConnectionAddr::Tcp(host, _) => {
                anyhow::ensure!(is_loopback(host), "Redis must be on 127.0.0.1 (got host {host})")
            }
            redis::ConnectionAddr::Unix(_) => {}
            other => anyhow::bail!("Redis must be plain TCP on 127.0.0.1 (got {other:?})"),
        }
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .context("Failed to connect to Postgres (is it running? `scripts/services.sh` starts it)")?;
        let settings = RedisSettings {
            redis_url: SecretString::from(redis_url.to_owned()),
            queue_name: String::new(),
        };
        let redis = queue::connect(&settings).await?;
        Ok(Self {
            admin,
            admin_url: database_url.to_owned(),
            redis_url: redis_url.to_owned(),
            redis,
        })
    }

    /// The Postgres server's pool (for version queries).
    pub fn admin(&self) -> &PgPool {
        &self.admin
    }

    /// A connection to Redis.
    pub fn redis(&self) -> ConnectionManager {
        self.redis.clone()
    }

    /// Runs `body` in a fresh phase environment, bounded by `limit` and Ctrl-C, then cleans up.
    pub async fn run_phase<T>(
        &self,
        name: &str,
        limit: Duration,
        body: impl AsyncFnOnce(&Phase) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let database = format!("ocean_bench_{name}");
        let phase = self.open(&database).await?;
        let result = tokio::select! {
            r = tokio::time::timeout(limit, body(&phase)) => {
                r.unwrap_or_else(|_| Err(anyhow::anyhow!("phase {name} did not finish within {}s", limit.as_secs())))
            }
            _ = tokio::signal::ctrl_c() => Err(Interrupted.into()),
        };
        let cleanup = self.close(phase, &database).await;
        match (result, cleanup) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(cleanup)) => Err(e.context(format!("and cleanup failed too: {cleanup:#}"))),
        }
    }

    async fn open(&self, database: &str) -> anyhow::Result<Phase> {
        self.drop_database(database).await?;
        sqlx::query(&format!(r#"CREATE DATABASE "{database}""#))
            .execute(&self.admin)
            .await
            .with_context(|| format!("Failed to create database {database}"))?;
        let database_url = with_database(&self.admin_url, database);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&database_url)
            .await
            .with_context(|| format!("Failed to connect to {database}"))?;
        ocean_core::MIGRATOR
            .run(&pool)
            .await
            .with_context(|| format!("Failed to migrate {database}"))?;
        Ok(Phase {
            pool,
            database_url,
            redis_url: self.redis_url.clone(),
            redis: self.redis.clone(),
            prefix: format!("bench:{}", uuid::Uuid::new_v4().simple()),
        })
    }

    async fn close(&self, phase: Phase, database: &str) -> anyhow::Result<()> {
        phase.pool.close().await;
        let keys = delete_keys(&mut self.redis.clone(), &phase.prefix).await;
        let db = self.drop_database(database).await;
        keys.and(db)
    }

    async fn drop_database(&self, database: &str) -> anyhow::Result<()> {
        // FORCE: a killed worker's connections may linger for a moment.
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{database}" WITH (FORCE)"#))
            .execute(&self.admin)
            .await
            .with_context(|| format!("Failed to drop database {database}"))?;
        Ok(())
    }
}

/// Deletes every key starting with `prefix` (SCAN, not KEYS: the server is shared).
pub async fn delete_keys(conn: &mut ConnectionManager, prefix: &str) -> anyhow::Result<()> {
    let pattern = format!("{prefix}*");
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .context("Failed to scan Redis keys")?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(conn)
                .await
                .context("Failed to delete Redis keys")?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let server = match without_query.split_once("://") {
        Some((_, rest)) if rest.contains('/') => without_query.rsplit_once('/').map_or(without_query, |(s, _)| s),
        _ => without_query,
    };
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "x"),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://127.0.0.1", "x"), "postgres://127.0.0.1/x");
    }

    #[test]
    fn only_loopback_hosts_pass() {
        assert!(is_loopback("127.0.0.1") && is_loopback("localhost") && is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("db.example.com"));
    }
}

//! A private `redis-server` for fault tests: one the test may flush, kill and restart without touching
//! the Redis other tests share.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

/// Whether the server keeps its data across a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Every write is appended to disk and fsynced: a restart comes back with everything.
    Durable,
    /// Memory only: a restart comes back empty.
    None,
}

/// A `redis-server` on a free loopback port; killed and its files removed when dropped.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    persistence: Persistence,
    child: Option<Child>,
}

impl RedisServer {
    pub async fn start(persistence: Persistence) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("port").port()
        };
        let dir = std::env::temp_dir().join(format!("ocean-redis-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("redis data directory");
        let mut server = Self {
            port,
            dir,
            persistence,
            child: None,
        };
        server.restart().await;
        server
    }

    /// `redis://` URL of this server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server at once (SIGKILL: no final save; with [`Persistence::Durable`] every write is
    /// already on disk).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port and directory (killing it first if it runs) and waits
    /// until it answers PING.
    pub async fn restart(&mut self) {
        self.kill().await;
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        match self.persistence {
            Persistence::Durable => command.args(["--appendonly", "yes", "--appendfsync", "always"]),
            Persistence::None => command.args(["--appendonly", "no"]),
        };
        self.child = Some(
            command
                .spawn()
                .expect("redis-server must be installed (make test installs it)"),
        );
        let client = redis::Client::open(self.url()).expect("redis url");
        crate::wait_for(
            "the private redis-server to answer",
            Duration::from_secs(30),
            || async {
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            },
        )
        .await;
    }

    /// Runs one command on the server (e.g. FLUSHALL).
    pub async fn command(&self, args: &[&str]) {
        let client = redis::Client::open(self.url()).expect("redis url");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis connection");
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query_async::<redis::Value>(&mut conn).await.expect("redis command");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

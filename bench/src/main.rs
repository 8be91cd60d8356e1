//! `ocean-bench`: runs Ocean Sync's benchmarks against local Postgres, Redis, the simulator and the release
//! binaries, prints a table and writes `target/bench/results.json` (see `make bench`).

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = ocean_bench::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,sqlx=error,ocean_bench=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match ocean_bench::run(cli).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("ocean-bench: {e:#}");
            std::process::exit(2);
        }
    }
}

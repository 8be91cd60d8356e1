//! `ocean-sim`: runs the marketplace simulator (Tokopedia and TikTok Shop) as a standalone server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use ocean_sim::{Sim, SimConfig};
use tracing_subscriber::EnvFilter;

/// Serves a simulated Tokopedia Open API and TikTok Shop Partner API.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "OCEAN_SIM_ADDR", default_value = "127.0.0.1:8090")]
    addr: String,
    /// JSON world description (SimConfig); the demo world when absent.
    #[arg(long, env = "OCEAN_SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Address of the Prometheus endpoint (`/metrics`), or `off`.
    #[arg(long, env = "OCEAN_SIM_METRICS_ADDR", default_value = "127.0.0.1:9105")]
    metrics_addr: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line, no backtrace.
            eprintln!("ocean-sim: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    ocean_sim::install_metrics(&args.metrics_addr)?;
    let config = match &args.config {
        Some(path) => SimConfig::load(path)?,
        None => SimConfig::demo(),
    };
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(
        addr = %listener.local_addr()?,
        apps = config.apps.len(),
        tiktok_shop_apps = config.tiktok_shop.apps.len(),
        "ocean-sim listening"
    );
    ocean_sim::serve(listener, Sim::new(config), ocean_sim::shutdown_signal()).await?;
    tracing::info!("ocean-sim stopped");
    Ok(())
}

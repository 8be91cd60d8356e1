//! `ocean-sim`: runs the Tokopedia simulator as a standalone server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use ocean_sim::{Sim, SimConfig};
use tracing_subscriber::EnvFilter;

/// Serves a simulated Tokopedia Open API.
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
    if !args.metrics_addr.eq_ignore_ascii_case("off") {
        let addr: std::net::SocketAddr = args
            .metrics_addr
            .parse()
            .context("OCEAN_SIM_METRICS_ADDR is not host:port")?;
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets(&[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])?
            .install()
            .with_context(|| format!("serving metrics on {addr}"))?;
        metrics::describe_counter!(
            "ocean_sim_requests_total",
            "Simulated marketplace requests by endpoint and status."
        );
        metrics::describe_histogram!(
            "ocean_sim_request_duration_seconds",
            metrics::Unit::Seconds,
            "Simulated marketplace processing time by endpoint."
        );
        metrics::describe_gauge!(
            "ocean_build_info",
            "Always 1; the version label names the release this process runs."
        );
        metrics::gauge!("ocean_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    }
    let config = match &args.config {
        Some(path) => SimConfig::load(path)?,
        None => SimConfig::demo(),
    };
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, apps = config.apps.len(), "ocean-sim listening");
    ocean_sim::serve(listener, Sim::new(config), ocean_sim::shutdown_signal()).await?;
    tracing::info!("ocean-sim stopped");
    Ok(())
}

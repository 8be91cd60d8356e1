//! `oceanctl`: a small client of the Ocean Sync API for operators and the demo.

mod api;
mod demo;
mod table;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Command-line client of the Ocean Sync API.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    /// Base URL of the Ocean Sync API.
    #[arg(long, env = "OCEAN_API_URL", default_value = "http://127.0.0.1:8080", global = true)]
    api_url: String,
    /// API bearer token.
    #[arg(long, env = "OCEAN_API_TOKEN", hide_env_values = true, global = true)]
    token: Option<secrecy::SecretString>,
    /// Integration whose accounts to manage.
    #[arg(long, default_value = "tokopedia", global = true)]
    integration: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every account with its status, counts and last sync.
    Accounts,
    /// Queue a sync of one account.
    Sync { account_id: i64 },
    /// Queue a sync of every enabled account.
    SyncAll,
    /// Create the demo accounts (if missing), sync them all and wait until that sync has run for both.
    DemoSeed(demo::DemoArgs),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let token = cli
        .token
        .ok_or_else(|| anyhow::anyhow!("no API token: pass --token or set OCEAN_API_TOKEN"))?;
    let client = api::Client::new(&cli.api_url, token, &cli.integration)?;
    match cli.command {
        Command::Accounts => table::print_accounts(&client.list_accounts().await?),
        Command::Sync { account_id } => {
            client.sync(account_id).await?;
            println!("sync of account {account_id} queued");
        }
        Command::SyncAll => println!("{} account syncs queued", client.sync_all().await?),
        Command::DemoSeed(args) => demo::seed(&client, args).await?,
    }
    Ok(())
}

//! `oceanctl`: a small client of the Ocean Sync API for operators and the demo.

mod api;
mod args;
mod demo;
mod table;

use anyhow::Result;
use args::{Cli, Command};
use clap::Parser;

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

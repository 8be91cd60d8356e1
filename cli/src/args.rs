//! The command line of `oceanctl`.

use clap::{Parser, Subcommand};

use crate::demo;

/// Command-line client of the Ocean Sync API.
#[derive(Parser, Debug)]
#[command(version)]
pub struct Cli {
    /// Base URL of the Ocean Sync API.
    #[arg(long, env = "OCEAN_API_URL", default_value = "http://127.0.0.1:8080", global = true)]
    pub api_url: String,
    /// API bearer token.
    #[arg(long, env = "OCEAN_API_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<secrecy::SecretString>,
    /// Integration whose accounts to manage (`GET /api/integrations` lists them).
    #[arg(long, default_value = ocean_core::marketplace::tokopedia::ID, global = true)]
    pub integration: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every account with its status, counts and last sync.
    Accounts,
    /// Queue a sync of one account.
    Sync { account_id: i64 },
    /// Queue a sync of every enabled account.
    SyncAll,
    /// Create the demo accounts (if missing), sync them all and wait until that sync has run for both.
    DemoSeed(demo::DemoArgs),
}

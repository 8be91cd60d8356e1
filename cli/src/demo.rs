//! `oceanctl demo-seed`: the design's two demo accounts, each on its own simulated shop.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{api::Client, table};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Give up waiting for the first syncs after this many seconds.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
}

/// The shops `ocean-sim` serves by default (its demo world).
fn demo_accounts() -> [Value; 2] {
    [
        json!({
            "account_name": "Main Store - Jakarta",
            "account_identifier": "shop_67890",
            "credentials": { "fs_id": 12345, "shop_id": 67890, "client_id": "jakarta-client", "client_secret": "jakarta-secret" },
            "sync_interval_minutes": 15,
            "features": ["product_management", "order_management", "inventory_sync", "shop_info"],
            "is_primary": true,
            "metadata": { "warehouse": "Jakarta Central", "tier": "Gold Merchant" }
        }),
        json!({
            "account_name": "Surabaya Branch",
            "account_identifier": "shop_12346",
            "credentials": { "fs_id": 67891, "shop_id": 12346, "client_id": "surabaya-client", "client_secret": "surabaya-secret" },
            "sync_interval_minutes": 30,
            "features": ["product_management", "order_management", "inventory_sync", "shop_info"],
            "metadata": { "warehouse": "Surabaya Hub", "tier": "Official Store" }
        }),
    ]
}

pub async fn seed(client: &Client, args: DemoArgs) -> Result<()> {
    let existing = client.list_accounts().await?;
    let known: Vec<&str> = existing["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["account_identifier"].as_str())
        .collect();
    for account in demo_accounts() {
        let identifier = account["account_identifier"].as_str().unwrap_or_default();
        if known.contains(&identifier) {
            println!("account {identifier} already exists");
            continue;
        }
        let (_, created) = client.call(Method::POST, "", Some(&account)).await?;
        println!(
            "created account {} \"{}\"",
            created["id"],
            created["account_name"].as_str().unwrap_or("")
        );
    }
    let started = Instant::now();
    println!("sync-all: {} account syncs queued", client.sync_all().await?);
    loop {
        let list = client.list_accounts().await?;
        let accounts: Vec<&Value> = list["accounts"].as_array().into_iter().flatten().collect();
        // Settled: the sync-all's run has started and finished for every account (on a database from an
        // earlier demo, a last sync alone would be the old one).
        let settled = accounts.iter().all(|a| {
            a["sync_requested_at"].is_null()
                && a["sync_running_since"].is_null()
                && (a["last_sync_at"].is_string() || a["status"] == "error")
        });
        if settled && !accounts.is_empty() {
            println!("synced in {:.1}s\n", started.elapsed().as_secs_f64());
            table::print_accounts(&list);
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(args.wait_secs) {
            table::print_accounts(&list);
            bail!("accounts did not finish their first sync within {}s", args.wait_secs);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

//! `oceanctl demo-seed`: the design's two demo Tokopedia accounts, each on its own simulated shop, and
//! the demo TikTok Shop shop, connected through the simulated consent page.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use reqwest::Method;
use serde_json::{Value, json};

use ocean_core::marketplace::tiktok_shop;

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
    // The TikTok Shop shop connects the way a seller's does: through the marketplace's consent page.
    let tiktok_shop = client.for_integration(tiktok_shop::ID)?;
    for shop in tiktok_shop.connect_by_consent().await?.as_array().into_iter().flatten() {
        let how = if shop["renewed"] == true {
            "reconnected"
        } else {
            "connected"
        };
        println!(
            "{how} TikTok Shop account {} \"{}\" through the consent page",
            shop["account_id"],
            shop["account_name"].as_str().unwrap_or("")
        );
    }
    let started = Instant::now();
    let integrations = [client, &tiktok_shop];
    for integration in integrations {
        println!("sync-all: {} account syncs queued", integration.sync_all().await?);
    }
    loop {
        let mut lists = Vec::new();
        for integration in integrations {
            lists.push(integration.list_accounts().await?);
        }
        let accounts: Vec<&Value> = lists
            .iter()
            .flat_map(|l| l["accounts"].as_array().into_iter().flatten())
            .collect();
        // Settled: the sync-all's run has started and finished for every account (on a database from an
        // earlier demo, a last sync alone would be the old one).
        let settled = accounts.iter().all(|a| {
            a["sync_requested_at"].is_null()
                && a["sync_running_since"].is_null()
                && (a["last_sync_at"].is_string() || a["status"] == "error")
        });
        let timed_out = started.elapsed() > Duration::from_secs(args.wait_secs);
        if (settled && !accounts.is_empty()) || timed_out {
            if settled {
                println!("synced in {:.1}s\n", started.elapsed().as_secs_f64());
            }
            for list in &lists {
                table::print_accounts(list);
            }
            if !settled {
                bail!("accounts did not finish their first sync within {}s", args.wait_secs);
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

//! Plain-text account table.

use chrono::{DateTime, Utc};
use serde_json::Value;

fn relative(ts: &Value) -> String {
    let Some(at) = ts.as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok()) else {
        return "never".into();
    };
    let secs = (Utc::now() - at).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        _ => format!("{}h ago", secs / 3600),
    }
}

pub fn print_accounts(list: &Value) {
    println!(
        "{:<4} {:<24} {:<12} {:<8} {:>8} {:>7} {:>6} {:>6}  {:<10} LAST ERROR",
        "ID", "NAME", "IDENTIFIER", "STATUS", "PRODUCTS", "ORDERS", "SYNCS", "ERRORS", "LAST SYNC"
    );
    for a in list["accounts"].as_array().into_iter().flatten() {
        let primary = if a["is_primary"] == Value::Bool(true) {
            "*"
        } else {
            ""
        };
        println!(
            "{:<4} {:<24} {:<12} {:<8} {:>8} {:>7} {:>6} {:>6}  {:<10} {}",
            a["id"],
            format!("{}{primary}", a["account_name"].as_str().unwrap_or("")),
            a["account_identifier"].as_str().unwrap_or(""),
            a["status"].as_str().unwrap_or(""),
            a["stats"]["total_products"],
            a["stats"]["total_orders"],
            a["sync_count"],
            a["error_count"],
            relative(&a["last_sync_at"]),
            a["last_error"].as_str().unwrap_or("-"),
        );
    }
    let s = &list["summary"];
    println!(
        "\n{} accounts ({} active, * = primary) | products {} | orders today {} | pending orders {} | revenue today Rp {}",
        s["total_accounts"],
        s["active_accounts"],
        s["total_products"],
        s["total_orders_today"],
        s["pending_orders"],
        s["revenue_today"]
    );
}

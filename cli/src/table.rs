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

/// A JSON scalar as plain text (`Value`'s Display ignores column widths and quotes strings).
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

pub fn print_accounts(list: &Value) {
    println!(
        "{:<4} {:<24} {:<12} {:<8} {:>8} {:>7} {:>6} {:>6}  {:<10} LAST ERROR",
        "ID", "NAME", "IDENTIFIER", "STATUS", "PRODUCTS", "ORDERS", "SYNCS", "ERRORS", "LAST SYNC"
    );
    for a in list["accounts"].as_array().into_iter().flatten() {
        let primary = if a["is_primary"] == Value::Bool(true) { "*" } else { "" };
        println!(
            "{:<4} {:<24} {:<12} {:<8} {:>8} {:>7} {:>6} {:>6}  {:<10} {}",
            cell(&a["id"]),
            format!("{}{primary}", cell(&a["account_name"])),
            cell(&a["account_identifier"]),
            cell(&a["status"]),
            cell(&a["stats"]["total_products"]),
            cell(&a["stats"]["total_orders"]),
            cell(&a["sync_count"]),
            cell(&a["error_count"]),
            relative(&a["last_sync_at"]),
            cell(&a["last_error"]),
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

//! How accounts look in responses. Secrets never appear: only whether one is stored.

use ocean_shared::db::{accounts::Account, reports::AccountStats};
use serde_json::{Value, json};

pub fn account_view(account: &Account, stats: Option<&AccountStats>) -> Value {
    let creds = &account.credentials.0;
    let stats = stats.cloned().unwrap_or_default();
    json!({
        "id": account.id,
        "integration_id": account.integration_id,
        "account_name": account.account_name,
        "account_identifier": account.account_identifier,
        "status": account.status,
        "enabled": account.enabled,
        "auto_sync": account.auto_sync,
        "sync_interval_minutes": account.sync_interval_minutes,
        "features": account.features,
        "is_primary": account.is_primary,
        "credentials": {
            "fs_id": creds.fs_id,
            "shop_id": creds.shop_id,
            "client_id": creds.client_id,
            "client_secret_set": account.has_secret,
        },
        "last_sync_at": account.last_sync_at,
        "next_sync_at": account.next_sync_at,
        "sync_requested_at": account.sync_requested_at,
        "sync_count": account.sync_count,
        "error_count": account.error_count,
        "last_error": account.last_error,
        "shop_info": account.metadata.0.get("shop_info").cloned().unwrap_or(Value::Null),
        "metadata": account.metadata.0,
        "stats": {
            "total_products": stats.total_products,
            "total_orders": stats.total_orders,
            "pending_orders": stats.pending_orders,
            "daily_order_average": stats.daily_order_average,
            "orders_today": stats.orders_today,
            "revenue_today": stats.revenue_today,
            "sync_count": account.sync_count,
            "last_sync": account.last_sync_at,
        },
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    })
}

/// The list's summary block.
pub fn summary(accounts: &[Account], stats: &[AccountStats]) -> Value {
    json!({
        "total_accounts": accounts.len(),
        "active_accounts": accounts.iter().filter(|a| a.enabled && a.status == "active").count(),
        "total_products": stats.iter().map(|s| s.total_products).sum::<i64>(),
        "total_orders_today": stats.iter().map(|s| s.orders_today).sum::<i64>(),
        "pending_orders": stats.iter().map(|s| s.pending_orders).sum::<i64>(),
        "revenue_today": stats.iter().map(|s| s.revenue_today).sum::<i64>(),
    })
}

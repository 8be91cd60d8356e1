//! How accounts look in responses. Secrets never appear: only whether one is stored.

use chrono::{DateTime, Utc};
use ocean_core::{
    db::reports::{AccountStats, Totals, change_percent},
    domain::{Account, AccountCredentials},
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::openapi::Pagination;

/// An account's credentials as shown: identifiers, and whether its secrets are stored. The shape is
/// the integration's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CredentialsView {
    Tokopedia(TokopediaCredentialsView),
    TikTokShop(TikTokShopCredentialsView),
}

/// Tokopedia: the app and the shop, typed into the account form.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokopediaCredentialsView {
    pub fs_id: u64,
    pub shop_id: u64,
    pub client_id: String,
    /// The client secret itself is never returned.
    pub client_secret_set: bool,
}

/// TikTok Shop: the shop the seller authorized on the consent page, and when its tokens expire.
#[derive(Debug, Serialize, ToSchema)]
pub struct TikTokShopCredentialsView {
    pub shop_id: String,
    pub shop_cipher: String,
    pub app_key: String,
    pub shop_name: String,
    pub region: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The tokens themselves are never returned.
    pub tokens_set: bool,
}

impl CredentialsView {
    /// The marketplace's id of the shop.
    pub fn shop_id(&self) -> String {
        match self {
            Self::Tokopedia(c) => c.shop_id.to_string(),
            Self::TikTokShop(c) => c.shop_id.clone(),
        }
    }

    fn new(account: &Account) -> Self {
        match &account.credentials.0 {
            AccountCredentials::Tokopedia(c) => Self::Tokopedia(TokopediaCredentialsView {
                fs_id: c.fs_id,
                shop_id: c.shop_id,
                client_id: c.client_id.clone(),
                client_secret_set: account.has_secret,
            }),
            AccountCredentials::TikTokShop(c) => Self::TikTokShop(TikTokShopCredentialsView {
                shop_id: c.shop_id.clone(),
                shop_cipher: c.shop_cipher.clone(),
                app_key: c.app_key.clone(),
                shop_name: c.shop_name.clone(),
                region: c.region.clone(),
                access_token_expires_at: c.access_token_expires_at,
                refresh_token_expires_at: c.refresh_token_expires_at,
                tokens_set: account.has_secret,
            }),
        }
    }
}

/// Figures of one account (today is the Asia/Jakarta day).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountStatsView {
    pub total_products: i64,
    pub active_products: i64,
    pub total_orders: i64,
    /// Paid and still (partly) to ship, whatever the marketplace.
    pub pending_orders: i64,
    /// Orders per day over the last 30 days.
    pub daily_order_average: f64,
    pub orders_today: i64,
    /// Whole rupiah, unpaid and cancelled orders excluded.
    pub revenue_today: i64,
    /// All of yesterday.
    pub orders_yesterday: i64,
    /// All of yesterday.
    pub revenue_yesterday: i64,
    /// Yesterday until the current time of day: the same hours as today so far.
    pub orders_yesterday_until_now: i64,
    /// Yesterday until the current time of day: the same hours as today so far.
    pub revenue_yesterday_until_now: i64,
    /// Revenue today so far against yesterday until the same time of day, in percent; null when those
    /// hours of yesterday had none.
    pub revenue_change_percent: Option<f64>,
    /// Orders today so far against yesterday until the same time of day, in percent; null when those
    /// hours of yesterday had none.
    pub orders_change_percent: Option<f64>,
    pub sync_count: i32,
    pub last_sync: Option<DateTime<Utc>>,
}

impl AccountStatsView {
    pub fn new(account: &Account, stats: Option<&AccountStats>) -> Self {
        let s = stats.cloned().unwrap_or_default();
        Self {
            total_products: s.total_products,
            active_products: s.active_products,
            total_orders: s.total_orders,
            pending_orders: s.pending_orders,
            daily_order_average: s.daily_order_average,
            orders_today: s.orders_today,
            revenue_today: s.revenue_today,
            orders_yesterday: s.orders_yesterday,
            revenue_yesterday: s.revenue_yesterday,
            orders_yesterday_until_now: s.orders_yesterday_until_now,
            revenue_yesterday_until_now: s.revenue_yesterday_until_now,
            // The same hours on both sides: against all of yesterday, every morning would show a fall.
            revenue_change_percent: change_percent(s.revenue_today, s.revenue_yesterday_until_now),
            orders_change_percent: change_percent(s.orders_today, s.orders_yesterday_until_now),
            sync_count: account.sync_count,
            last_sync: account.last_sync_at,
        }
    }
}

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub integration_id: String,
    pub account_name: String,
    pub account_identifier: String,
    /// `active`, `inactive`, `error` or `pending`.
    pub status: String,
    pub enabled: bool,
    pub auto_sync: bool,
    pub sync_interval_minutes: i32,
    pub features: Vec<String>,
    pub is_primary: bool,
    pub credentials: CredentialsView,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
    /// Set while a requested sync waits to start.
    pub sync_requested_at: Option<DateTime<Utc>>,
    /// When the sync that is running now started; null when none runs.
    pub sync_running_since: Option<DateTime<Utc>>,
    pub sync_count: i32,
    pub error_count: i32,
    pub last_error: Option<String>,
    /// Failed syncs since the last good one.
    pub consecutive_failures: i32,
    /// Set when repeated failures paused the account; resume it or change its credentials or settings.
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_reason: Option<String>,
    /// `on_time` (last good sync within one interval), `delayed` (older) or `stale` (older than two).
    pub freshness: String,
    /// The marketplace's shop info from the last sync.
    #[schema(value_type = Option<Object>)]
    pub shop_info: Option<Value>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub stats: AccountStatsView,
    /// The caller's role on this account: `viewer`, `editor` or `admin`.
    pub your_role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AccountView {
    pub fn new(account: &Account, stats: Option<&AccountStats>, role: &str) -> Self {
        Self {
            id: account.id.0,
            integration_id: account.integration_id.clone(),
            account_name: account.account_name.clone(),
            account_identifier: account.account_identifier.clone(),
            status: account.status.clone(),
            enabled: account.enabled,
            auto_sync: account.auto_sync,
            sync_interval_minutes: account.sync_interval_minutes,
            features: account.features.clone(),
            is_primary: account.is_primary,
            credentials: CredentialsView::new(account),
            last_sync_at: account.last_sync_at,
            next_sync_at: account.next_sync_at,
            sync_requested_at: account.sync_requested_at,
            sync_running_since: account.running_since(Utc::now()),
            sync_count: account.sync_count,
            error_count: account.error_count,
            last_error: account.last_error.clone(),
            consecutive_failures: account.consecutive_failures,
            paused_at: account.paused_at,
            paused_reason: account.paused_reason.clone(),
            freshness: account.freshness(Utc::now()).as_str().to_owned(),
            shop_info: account.metadata.0.get("shop_info").cloned(),
            metadata: account.metadata.0.clone(),
            stats: AccountStatsView::new(account, stats),
            your_role: role.to_owned(),
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }
}

/// Totals over every account the caller can see (not just the page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub total_accounts: i64,
    pub active_accounts: i64,
    pub total_products: i64,
    pub active_products: i64,
    pub total_orders_today: i64,
    pub pending_orders: i64,
    pub revenue_today: i64,
}

impl From<Totals> for Summary {
    fn from(t: Totals) -> Self {
        Self {
            total_accounts: t.total_accounts,
            active_accounts: t.active_accounts,
            total_products: t.total_products,
            active_products: t.active_products,
            total_orders_today: t.orders_today,
            pending_orders: t.pending_orders,
            revenue_today: t.revenue_today,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    pub summary: Summary,
    pub pagination: Pagination,
}

/// One sync attempt or audited call.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogView {
    pub id: i64,
    /// `sync` or `audit`.
    pub kind: String,
    /// For syncs: `schedule`, `manual` or `sync_all`.
    pub trigger: Option<String>,
    /// `success`, `failure` or `skipped`.
    pub outcome: String,
    /// For audits: what was done, e.g. `account.update`.
    pub action: Option<String>,
    pub message: Option<String>,
    pub products_synced: i32,
    pub orders_synced: i32,
    pub duration_ms: Option<i64>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

impl From<ocean_core::db::logs::LogEntry> for LogView {
    fn from(e: ocean_core::db::logs::LogEntry) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            trigger: e.trigger,
            outcome: e.outcome,
            action: e.action,
            message: e.message,
            products_synced: e.products_synced,
            orders_synced: e.orders_synced,
            duration_ms: e.duration_ms,
            details: e.details,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    pub logs: Vec<LogView>,
    pub pagination: Pagination,
}

//! Domain vocabulary shared by every process: accounts and their ids, sync triggers and outcomes,
//! statuses, the marketplace-neutral catalog (products and orders), features and the two halves of an
//! account's credentials (public identifiers and sealed secrets).

use std::fmt;

use serde::{Deserialize, Serialize};

mod account;
mod catalog;

pub use crate::marketplace::adapter::{AccountCredentials, AccountSecrets};
pub use account::{Account, Freshness};
pub use catalog::{CatalogOrder, CatalogProduct, OrderStatus, ProductStatus, WarehouseStock};

/// Primary key of `integration_accounts`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a sync runs. Stored in `integration_logs.trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTrigger {
    /// The account's interval elapsed.
    Schedule,
    /// Someone pressed Sync Now (API or console).
    Manual,
    /// Part of a sync-all request.
    SyncAll,
    /// The rest of a sync whose previous job used up its page budget.
    Continuation,
    /// A sync that stopped unfinished (its worker died, lost its connection or shut down) runs again.
    Retry,
}

impl SyncTrigger {
    pub const ALL: [SyncTrigger; 5] = [
        Self::Schedule,
        Self::Manual,
        Self::SyncAll,
        Self::Continuation,
        Self::Retry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
            Self::SyncAll => "sync_all",
            Self::Continuation => "continuation",
            Self::Retry => "retry",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "schedule" => Some(Self::Schedule),
            "manual" => Some(Self::Manual),
            "sync_all" => Some(Self::SyncAll),
            "continuation" => Some(Self::Continuation),
            "retry" => Some(Self::Retry),
            _ => None,
        }
    }
}

/// Outcome of a sync attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Another sync of the account was running; nothing was done.
    Skipped,
    /// The job used its page budget; a continuation job goes on from the checkpoint.
    Partial,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Self::Success, Self::Failure, Self::Skipped, Self::Partial];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Skipped => "skipped",
            Self::Partial => "partial",
        }
    }
}

/// `integration_accounts.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Inactive,
    Error,
    Pending,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Error => "error",
            Self::Pending => "pending",
        }
    }
}

/// What an account syncs (the design's feature checkboxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    ProductManagement,
    OrderManagement,
    InventorySync,
    Logistics,
    ShopInfo,
    Webhooks,
}

impl Feature {
    pub const ALL: [Feature; 6] = [
        Self::ProductManagement,
        Self::OrderManagement,
        Self::InventorySync,
        Self::Logistics,
        Self::ShopInfo,
        Self::Webhooks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductManagement => "product_management",
            Self::OrderManagement => "order_management",
            Self::InventorySync => "inventory_sync",
            Self::Logistics => "logistics",
            Self::ShopInfo => "shop_info",
            Self::Webhooks => "webhooks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

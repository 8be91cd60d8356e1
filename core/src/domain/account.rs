//! An account as every process reads it, and how current its data is.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, types::Json};

use super::{AccountCredentials, AccountId, Feature};

/// An account as the api and the worker read it. Lease internals and ciphertext stay out of it, apart
/// from `has_secret`.
#[derive(Debug, Clone, FromRow)]
pub struct Account {
    pub id: AccountId,
    pub integration_id: String,
    pub account_name: String,
    pub account_identifier: String,
    pub credentials: Json<AccountCredentials>,
    pub has_secret: bool,
    pub status: String,
    pub enabled: bool,
    pub auto_sync: bool,
    pub sync_interval_minutes: i32,
    pub features: Vec<String>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub sync_count: i32,
    pub error_count: i32,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_reason: Option<String>,
    pub metadata: Json<Value>,
    pub is_primary: bool,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub sync_requested_at: Option<DateTime<Utc>>,
    /// Request numbers (see [`crate::db::intents`]): the newest request, and the newest a finished sync
    /// covered.
    pub sync_request_seq: i64,
    pub sync_served_seq: i64,
    pub last_sync_started_at: Option<DateTime<Utc>>,
    pub last_sync_finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How current an account's data is against its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Last good sync within one interval.
    OnTime,
    /// Older than one interval.
    Delayed,
    /// Older than two intervals.
    Stale,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Delayed => "delayed",
            Self::Stale => "stale",
        }
    }
}

impl Account {
    /// Age of the last good sync (or, never synced, of the account) against the interval.
    pub fn freshness(&self, now: DateTime<Utc>) -> Freshness {
        let age = now - self.last_sync_at.unwrap_or(self.created_at);
        let interval = chrono::Duration::minutes(i64::from(self.sync_interval_minutes));
        if age <= interval {
            Freshness::OnTime
        } else if age <= interval * 2 {
            Freshness::Delayed
        } else {
            Freshness::Stale
        }
    }

    /// Whether request number `seq` is served: a sync that started after it was made has finished.
    pub fn served(&self, seq: i64) -> bool {
        seq <= self.sync_served_seq
    }

    /// Start of the sync running now: started and not finished since. A start older than an hour is not
    /// reported (its worker died; the lease has long passed and the next run will take over).
    pub fn running_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let started = self.last_sync_started_at?;
        let finished_after = self.last_sync_finished_at.is_some_and(|f| f >= started);
        (!finished_after && now - started < chrono::Duration::hours(1)).then_some(started)
    }

    pub fn has_feature(&self, feature: Feature) -> bool {
        self.features.iter().any(|f| f == feature.as_str())
    }
}

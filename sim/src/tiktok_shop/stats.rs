//! TikTok Shop request counters, as served by `GET /sim/tiktok-shop/stats`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::bump;

/// Counters of the TikTok Shop hosts since the sim started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Every request to either host (API, token endpoints, consent pages, unknown paths).
    pub total_requests: u64,
    /// Requests per endpoint name (see [`crate::tiktok_shop::Endpoint`]), plus
    /// `token-get`, `token-refresh`, `consent` and `unknown`.
    pub requests: BTreeMap<String, u64>,
    /// HTTP 429 answers per endpoint name.
    pub rate_limited: BTreeMap<String, u64>,
    /// Authorization codes handed out by the consent pages.
    pub codes_issued: u64,
    /// Consents refused (redirects with `error=access_denied`).
    pub consents_refused: u64,
    /// Access tokens minted (code exchanges and refreshes).
    pub tokens_issued: u64,
    /// Successful refreshes.
    pub refreshes: u64,
}

impl Stats {
    pub(crate) fn count_request(&mut self, endpoint: &str) {
        self.total_requests += 1;
        bump(&mut self.requests, endpoint, 1);
    }

    pub(crate) fn count_rate_limited(&mut self, endpoint: &str) {
        bump(&mut self.rate_limited, endpoint, 1);
    }
}

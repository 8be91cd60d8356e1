//! [`Controls`]: the TikTok Shop side of a running sim, for tests and the
//! bench, in process; `/sim/tiktok-shop/*` serves the same over HTTP.

use std::sync::MutexGuard;

use super::Endpoint;
use super::Stats;
use super::world::Shop;
use crate::Sim;
use crate::config::RateLimit;
use crate::state::State as SimState;

/// Controls of the TikTok Shop hosts of a [`Sim`] (see [`Sim::tiktok_shop`]).
#[derive(Debug, Clone, Copy)]
pub struct Controls<'a> {
    sim: &'a Sim,
}

impl Sim {
    /// The TikTok Shop controls of this sim.
    pub fn tiktok_shop(&self) -> Controls<'_> {
        Controls { sim: self }
    }
}

impl Controls<'_> {
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.sim.lock()
    }

    /// The world clock (unix seconds).
    pub fn now(&self) -> i64 {
        self.lock().tiktok.clock.now()
    }

    /// Whether the world clock stands still between advances.
    pub fn clock_frozen(&self) -> bool {
        self.lock().tiktok.clock.frozen()
    }

    /// Moves the world clock forward and returns the new time.
    pub fn advance_clock(&self, secs: u64) -> i64 {
        self.lock().tiktok.clock.advance(secs)
    }

    /// Refuses (or grants again) consents to `app_key`, or to every app when
    /// `None`. Returns false for an unknown app.
    pub fn refuse_consent(&self, app_key: Option<&str>, refuse: bool) -> bool {
        let mut state = self.lock();
        let tiktok = &mut state.tiktok;
        match app_key {
            None => {
                tiktok.refuse_all = refuse;
                if !refuse {
                    tiktok.refusing.clear();
                }
            }
            Some(key) if !tiktok.world.apps.contains_key(key) => return false,
            Some(key) if refuse => {
                tiktok.refusing.insert(key.to_owned());
            }
            Some(key) => {
                tiktok.refusing.remove(key);
            }
        }
        true
    }

    /// The seller revokes the shop's authorization (for `app_key` only, when
    /// given): its tokens then answer 105001. Returns how many grants lost it.
    pub fn revoke(&self, shop_id: u64, app_key: Option<&str>) -> usize {
        self.lock().tiktok.auth.revoke(shop_id, app_key)
    }

    /// Expires now the access tokens (and the refresh tokens too when
    /// `refresh`) of grants covering `shop_id`, or of every grant when `None`.
    /// Returns how many tokens it expired.
    pub fn expire_tokens(&self, shop_id: Option<u64>, refresh: bool) -> usize {
        let mut state = self.lock();
        let now = state.tiktok.clock.now();
        state.tiktok.auth.expire(shop_id, refresh, now)
    }

    /// Moves an order to its next status now. Returns the new status and
    /// `update_time`; `None` for an unknown order, one not created yet, or one
    /// with no status left.
    pub fn advance_order(&self, shop_id: u64, order_id: u64) -> Option<(String, i64)> {
        let mut state = self.lock();
        let now = state.tiktok.clock.now();
        let order = state.tiktok.world.shops.get_mut(&shop_id)?.order_mut(order_id)?;
        let status = order.advance(now)?;
        Some((status.as_str().to_owned(), now))
    }

    /// An order's status and `update_time` now; `None` if it does not exist (yet).
    pub fn order_state(&self, shop_id: u64, order_id: u64) -> Option<(String, i64)> {
        self.with_shop(shop_id, |shop, now| {
            let (status, updated) = shop.order(order_id)?.state_at(now)?;
            Some((status.as_str().to_owned(), updated))
        })
        .flatten()
    }

    /// Ids of the shop's orders that exist now, oldest first.
    pub fn order_ids(&self, shop_id: u64) -> Vec<u64> {
        self.with_shop(shop_id, |shop, now| {
            let existing = shop.orders.iter().filter(|o| o.create_time() <= now);
            existing.map(|o| o.id).collect()
        })
        .unwrap_or_default()
    }

    /// Ids of the shop's orders that reached a status in `[from, to)` of
    /// world time and have not moved since, i.e. what a search by
    /// `update_time` window finds.
    pub fn orders_updated(&self, shop_id: u64, from: i64, to: i64) -> Vec<u64> {
        self.with_shop(shop_id, |shop, now| {
            let updated = shop
                .orders
                .iter()
                .filter(|o| o.state_at(now).is_some_and(|(_, t)| (from..to).contains(&t)));
            updated.map(|o| o.id).collect()
        })
        .unwrap_or_default()
    }

    /// Ids of the shop's products in catalog (id) order.
    pub fn product_ids(&self, shop_id: u64) -> Vec<u64> {
        self.with_shop(shop_id, |shop, _| {
            let products = shop.generated.products.iter();
            products.map(|p| super::ids::product(p.product_id)).collect()
        })
        .unwrap_or_default()
    }

    /// Stock of the product's SKU per warehouse: `(warehouse id, quantity)`.
    pub fn stock(&self, shop_id: u64, product_id: u64) -> Vec<(u64, u32)> {
        self.with_shop(shop_id, |shop, _| {
            let index = shop.product_index(product_id)?;
            let warehouses = shop.warehouses.iter().map(|w| w.id);
            Some(warehouses.zip(shop.stock[index].iter().copied()).collect())
        })
        .flatten()
        .unwrap_or_default()
    }

    /// The shop's `shop_cipher`.
    pub fn cipher(&self, shop_id: u64) -> Option<String> {
        self.with_shop(shop_id, |shop, _| shop.cipher.clone())
    }

    /// `f` of the shop and the world clock's time; `None` for an unknown shop.
    fn with_shop<T>(&self, shop_id: u64, f: impl FnOnce(&Shop, i64) -> T) -> Option<T> {
        let state = self.lock();
        let now = state.tiktok.clock.now();
        state.tiktok.world.shops.get(&shop_id).map(|shop| f(shop, now))
    }

    /// Changes the hidden limit of every endpoint (`None`) or of one, by
    /// name. Affected buckets restart full. Returns false for an unknown name.
    pub fn set_rate_limit(&self, endpoint: Option<&str>, limit: RateLimit) -> bool {
        let endpoint = match endpoint.map(Endpoint::from_name) {
            None => None,
            Some(Some(e)) => Some(e),
            Some(None) => return false,
        };
        self.lock().tiktok.limiter.set(endpoint, limit);
        true
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.lock().tiktok.stats.clone()
    }
}

//! [`Controls`]: the TikTok Shop side of a running sim, for tests and the
//! bench, in process; `/sim/tiktok-shop/*` serves the same over HTTP.

use std::sync::MutexGuard;

use super::Endpoint;
use super::Stats;
use super::webhooks::{self, DeliveryLog, EventType, Faults};
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

    /// Moves the world clock forward and returns the new time. Order steps
    /// and webhook retries it passes come due.
    pub fn advance_clock(&self, secs: u64) -> i64 {
        let now = {
            let mut state = self.lock();
            let now = state.tiktok.clock.advance(secs);
            state.tiktok.sweep_webhooks();
            now
        };
        webhooks::kick(self.sim);
        now
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
    /// Each app that lost it is sent a `SELLER_DEAUTHORIZATION` webhook.
    pub fn revoke(&self, shop_id: u64, app_key: Option<&str>) -> usize {
        let grants = {
            let mut state = self.lock();
            let tiktok = &mut state.tiktok;
            tiktok.sweep_webhooks();
            let now = tiktok.clock.now();
            let losing = tiktok.auth.revoke(shop_id, app_key);
            let data = webhooks::deauthorization_data(shop_id);
            let to = |app: &str| losing.iter().any(|a| a == app);
            let (apps, event) = (&tiktok.world.apps, EventType::SellerDeauthorization);
            tiktok.webhooks.emit_to(apps, to, shop_id, event, &data, now);
            losing.len()
        };
        webhooks::kick(self.sim);
        grants
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
    /// Sends an `ORDER_STATUS_CHANGE` webhook.
    pub fn advance_order(&self, shop_id: u64, order_id: u64) -> Option<(String, i64)> {
        let advanced = {
            let mut state = self.lock();
            let tiktok = &mut state.tiktok;
            // Steps already due are notified first, so the moved one is not twice.
            tiktok.sweep_webhooks();
            let now = tiktok.clock.now();
            let order = tiktok.world.shops.get_mut(&shop_id)?.order_mut(order_id)?;
            let status = order.advance(now)?;
            let data = webhooks::order_data(order_id, status, now);
            let apps = &tiktok.world.apps;
            tiktok
                .webhooks
                .emit(apps, shop_id, EventType::OrderStatusChange, &data, now);
            (status.as_str().to_owned(), now)
        };
        webhooks::kick(self.sim);
        Some(advanced)
    }

    /// A buyer places an order now: the shop's next order still to arrive is
    /// brought forward to the current world time (its later steps keep their
    /// spacing). Returns its id; `None` for an unknown shop or when no arrival
    /// is left. Sends an `ORDER_STATUS_CHANGE` webhook.
    pub fn place_order(&self, shop_id: u64) -> Option<u64> {
        let placed = {
            let mut state = self.lock();
            let tiktok = &mut state.tiktok;
            // Steps already due are notified first, so the new order is not twice.
            tiktok.sweep_webhooks();
            let now = tiktok.clock.now();
            let order = tiktok.world.shops.get_mut(&shop_id)?.place_next_order(now)?;
            let (id, (status, _)) = (order.id, order.steps[0]);
            let data = webhooks::order_data(id, status, now);
            let apps = &tiktok.world.apps;
            tiktok
                .webhooks
                .emit(apps, shop_id, EventType::OrderStatusChange, &data, now);
            id
        };
        webhooks::kick(self.sim);
        Some(placed)
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

    /// Sets the probability (clamped to 0..=1) that calls aimed at the shop
    /// fail with HTTP 500 and code 36009003. Returns false for an unknown shop.
    pub fn set_failure_rate(&self, shop_id: u64, rate: f64) -> bool {
        let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
        let mut state = self.lock();
        let shop = state.tiktok.world.shops.get_mut(&shop_id);
        shop.map(|s| s.failure_rate = rate).is_some()
    }

    /// Plans an outage: after `ok_calls` more calls to `endpoint` (by name,
    /// e.g. `order-search`) aimed at the shop, every further call to it fails
    /// with HTTP 500 and code 36009003 until [`Controls::end_outages`]. Lets a
    /// test break a sync at an exact point. Returns false for an unknown shop
    /// or endpoint name.
    pub fn fail_endpoint_after(&self, shop_id: u64, endpoint: &str, ok_calls: u64) -> bool {
        let Some(endpoint) = Endpoint::from_name(endpoint) else {
            return false;
        };
        let mut state = self.lock();
        let shop = state.tiktok.world.shops.get_mut(&shop_id);
        shop.map(|s| s.outages.insert(endpoint, ok_calls)).is_some()
    }

    /// Ends every planned outage.
    pub fn end_outages(&self) {
        let mut state = self.lock();
        for shop in state.tiktok.world.shops.values_mut() {
            shop.outages.clear();
        }
    }

    /// The app (every app when `None`) loses a scope the shop's endpoints
    /// need, in the grants it holds for the shop: their calls for it answer
    /// 105005 until the seller consents again (a new grant has every scope).
    /// Returns how many grants lost it.
    pub fn withdraw_scope(&self, shop_id: u64, app_key: Option<&str>) -> usize {
        self.lock().tiktok.auth.withdraw_scope(shop_id, app_key)
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

    /// Registers `address` for `app_key`'s webhooks of `event_type` (a
    /// documented name such as `ORDER_STATUS_CHANGE`) from the shop, as
    /// `PUT /event/202309/webhooks` does. Returns false for an unknown app,
    /// shop or event type.
    pub fn subscribe_webhook(&self, app_key: &str, shop_id: u64, event_type: &str, address: &str) -> bool {
        let Some(event) = EventType::parse(event_type) else {
            return false;
        };
        {
            let mut state = self.lock();
            let tiktok = &mut state.tiktok;
            if !tiktok
                .world
                .apps
                .get(app_key)
                .is_some_and(|a| a.shop_ids.contains(&shop_id))
            {
                return false;
            }
            tiktok.sweep_webhooks();
            let now = tiktok.clock.now();
            tiktok.webhooks.subscribe(app_key, shop_id, event, address, now);
        }
        webhooks::kick(self.sim);
        true
    }

    /// `app_key`'s webhook addresses for the shop: `(event type, address)`.
    pub fn webhook_subscriptions(&self, app_key: &str, shop_id: u64) -> Vec<(String, String)> {
        let state = self.lock();
        let subscriptions = state.tiktok.webhooks.of(app_key, shop_id);
        subscriptions
            .map(|(event, s)| (event.name().to_owned(), s.address.clone()))
            .collect()
    }

    /// The faults applied to webhook deliveries now.
    pub fn webhook_faults(&self) -> Faults {
        self.lock().tiktok.webhooks.faults
    }

    /// Replaces the webhook faults. Turning `reorder` off releases what it held.
    pub fn set_webhook_faults(&self, faults: Faults) {
        self.lock().tiktok.webhooks.set_faults(faults);
        webhooks::kick(self.sim);
    }

    /// Loses the next `n` delivery attempts (they are retried on schedule).
    pub fn drop_webhooks(&self, n: u32) {
        let faults = Faults {
            drop_next: n,
            ..self.webhook_faults()
        };
        self.set_webhook_faults(faults);
    }

    /// POSTs every delivery twice (or once again).
    pub fn duplicate_webhooks(&self, on: bool) {
        let faults = Faults {
            duplicate: on,
            ..self.webhook_faults()
        };
        self.set_webhook_faults(faults);
    }

    /// Holds new deliveries until [`Controls::release_webhooks`] (or until
    /// turned off), which sends them newest first.
    pub fn reorder_webhooks(&self, on: bool) {
        let faults = Faults {
            reorder: on,
            ..self.webhook_faults()
        };
        self.set_webhook_faults(faults);
    }

    /// Sends the held deliveries, newest first; returns how many.
    pub fn release_webhooks(&self) -> usize {
        let released = self.lock().tiktok.webhooks.release();
        webhooks::kick(self.sim);
        released
    }

    /// What was delivered, is pending, held or given up.
    pub fn webhook_log(&self) -> DeliveryLog {
        self.lock().tiktok.webhooks.log()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.lock().tiktok.stats.clone()
    }
}

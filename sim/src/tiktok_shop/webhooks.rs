//! Webhooks: subscriptions per (app, shop, event type), notifications built
//! from world events, and their delivery by a background task.
//!
//! A notification is `{type, tts_notification_id, shop_id, timestamp, data}`,
//! POSTed with header `Authorization` = lowercase hex HMAC-SHA256 (key: app
//! secret) of `app_key + raw body`. Any 2xx acknowledges it; otherwise it is
//! tried again 2 min, 30 min, 3 h and 12 h after each failed attempt, measured
//! on the world clock, then given up. Delivery is at least once.
//!
//! Order events are found by sweeping the world clock: every status step an
//! order reaches in `(swept_to, now]` (its creation included, as `UNPAID`)
//! becomes an `ORDER_STATUS_CHANGE`. Controls can drop the next deliveries,
//! duplicate each one, or hold them and release them in reverse order.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::order::Status;
use super::signing;
use super::world::{App, Shop};

mod delivery;

pub(crate) use delivery::kick;

/// Waits before retrying, after the first, second, third and fourth failed attempt.
pub const RETRY_SCHEDULE_SECS: [i64; 4] = [120, 1_800, 10_800, 43_200];
/// Notification ids count up from here (19 digits, like the platform's).
const FIRST_NOTIFICATION_ID: u64 = 7_400_000_000_000_000_000;

/// A webhook topic and its numeric `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum EventType {
    OrderStatusChange,
    RecipientAddressUpdate,
    PackageUpdate,
    ProductStatusChange,
    SellerDeauthorization,
    UpcomingAuthorizationExpiration,
    CancellationStatusChange,
    ReturnStatusChange,
    ProductInformationChange,
    ProductCreation,
}

impl EventType {
    const ALL: [EventType; 10] = [
        EventType::OrderStatusChange,
        EventType::RecipientAddressUpdate,
        EventType::PackageUpdate,
        EventType::ProductStatusChange,
        EventType::SellerDeauthorization,
        EventType::UpcomingAuthorizationExpiration,
        EventType::CancellationStatusChange,
        EventType::ReturnStatusChange,
        EventType::ProductInformationChange,
        EventType::ProductCreation,
    ];

    pub fn code(self) -> u8 {
        match self {
            EventType::OrderStatusChange => 1,
            EventType::RecipientAddressUpdate => 3,
            EventType::PackageUpdate => 4,
            EventType::ProductStatusChange => 5,
            EventType::SellerDeauthorization => 6,
            EventType::UpcomingAuthorizationExpiration => 7,
            EventType::CancellationStatusChange => 11,
            EventType::ReturnStatusChange => 12,
            EventType::ProductInformationChange => 15,
            EventType::ProductCreation => 16,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EventType::OrderStatusChange => "ORDER_STATUS_CHANGE",
            EventType::RecipientAddressUpdate => "RECIPIENT_ADDRESS_UPDATE",
            EventType::PackageUpdate => "PACKAGE_UPDATE",
            EventType::ProductStatusChange => "PRODUCT_STATUS_CHANGE",
            EventType::SellerDeauthorization => "SELLER_DEAUTHORIZATION",
            EventType::UpcomingAuthorizationExpiration => "UPCOMING_AUTHORIZATION_EXPIRATION",
            EventType::CancellationStatusChange => "CANCELLATION_STATUS_CHANGE",
            EventType::ReturnStatusChange => "RETURN_STATUS_CHANGE",
            EventType::ProductInformationChange => "PRODUCT_INFORMATION_CHANGE",
            EventType::ProductCreation => "PRODUCT_CREATION",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// A registered address.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub address: String,
    pub create_time: i64,
    pub update_time: i64,
}

/// One notification on its way, as tests and `/sim/tiktok-shop/webhooks/deliveries` see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub tts_notification_id: String,
    /// The numeric `type`.
    pub event_type: u8,
    pub shop_id: u64,
    pub app_key: String,
    pub address: String,
    /// The raw body, exactly as sent.
    pub body: String,
    /// The `Authorization` header.
    pub signature: String,
    /// Attempts made so far (a dropped one counts).
    pub attempts: u32,
    /// World time of the next attempt (pending deliveries only).
    pub due: i64,
}

/// An acknowledged POST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub tts_notification_id: String,
    pub event_type: u8,
    pub shop_id: u64,
    pub address: String,
    /// Which attempt this was (1 = first).
    pub attempt: u32,
    /// World time of the POST.
    pub at: i64,
    pub status: u16,
}

/// What happened to every notification so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryLog {
    /// Acknowledged POSTs, in the order they were made (a duplicated delivery appears twice).
    pub delivered: Vec<Acknowledged>,
    /// Waiting for their first attempt or a retry, or being sent now.
    pub pending: Vec<Delivery>,
    /// Held by the reorder fault until released.
    pub held: Vec<Delivery>,
    /// Given up after the last retry failed.
    pub failed: Vec<Delivery>,
    /// Attempts the drop fault swallowed.
    pub dropped: u64,
}

/// Faults applied to deliveries, as `PUT /sim/tiktok-shop/webhooks/faults` sets them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// The next this many attempts are lost (never sent, so retried later).
    pub drop_next: u32,
    /// Every delivery is POSTed twice.
    pub duplicate: bool,
    /// New deliveries are held until released, then sent newest first.
    pub reorder: bool,
}

/// Webhook state of the TikTok Shop side.
#[derive(Debug)]
pub(crate) struct Webhooks {
    /// Address per (app key, shop id, event type).
    pub subscriptions: BTreeMap<(String, u64, EventType), Subscription>,
    /// World time up to which order steps have been turned into notifications.
    swept_to: i64,
    next_id: u64,
    queue: VecDeque<Delivery>,
    in_flight: Vec<Delivery>,
    held: Vec<Delivery>,
    delivered: Vec<Acknowledged>,
    failed: Vec<Delivery>,
    dropped: u64,
    pub faults: Faults,
    wake: Arc<Notify>,
    running: bool,
}

impl Webhooks {
    pub fn new(now: i64) -> Self {
        Self {
            subscriptions: BTreeMap::new(),
            swept_to: now,
            next_id: FIRST_NOTIFICATION_ID,
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            held: Vec::new(),
            delivered: Vec::new(),
            failed: Vec::new(),
            dropped: 0,
            faults: Faults::default(),
            wake: Arc::new(Notify::new()),
            running: false,
        }
    }

    /// Registers (or replaces) the address of `app_key`'s `event` for the shop.
    pub fn subscribe(&mut self, app_key: &str, shop_id: u64, event: EventType, address: &str, now: i64) {
        let key = (app_key.to_owned(), shop_id, event);
        let create_time = self.subscriptions.get(&key).map_or(now, |s| s.create_time);
        let subscription = Subscription {
            address: address.to_owned(),
            create_time,
            update_time: now,
        };
        self.subscriptions.insert(key, subscription);
    }

    /// Removes the address; returns whether there was one.
    pub fn unsubscribe(&mut self, app_key: &str, shop_id: u64, event: EventType) -> bool {
        self.subscriptions
            .remove(&(app_key.to_owned(), shop_id, event))
            .is_some()
    }

    /// `app_key`'s subscriptions for the shop.
    pub fn of(&self, app_key: &str, shop_id: u64) -> impl Iterator<Item = (EventType, &Subscription)> {
        self.subscriptions
            .iter()
            .filter(move |((app, shop, _), _)| app == app_key && *shop == shop_id)
            .map(|((_, _, event), s)| (*event, s))
    }

    fn wants(&self, shop_id: u64, event: EventType) -> bool {
        self.subscriptions.keys().any(|(_, s, e)| *s == shop_id && *e == event)
    }

    /// Queues a notification of `event` for every app subscribed to it for the shop.
    pub fn emit(&mut self, apps: &BTreeMap<String, App>, shop_id: u64, event: EventType, data: &Value, now: i64) {
        self.emit_to(apps, |_| true, shop_id, event, data, now);
    }

    /// Like [`Webhooks::emit`], for the apps `to` accepts only.
    pub fn emit_to(
        &mut self,
        apps: &BTreeMap<String, App>,
        to: impl Fn(&str) -> bool,
        shop_id: u64,
        event: EventType,
        data: &Value,
        now: i64,
    ) {
        let targets: Vec<(String, String)> = self
            .subscriptions
            .iter()
            .filter(|((app, s, e), _)| *s == shop_id && *e == event && to(app))
            .map(|((app, _, _), sub)| (app.clone(), sub.address.clone()))
            .collect();
        for (app_key, address) in targets {
            let Some(app) = apps.get(&app_key) else { continue };
            let id = self.next_id;
            self.next_id += 1;
            let body = Body {
                kind: event.code(),
                tts_notification_id: id.to_string(),
                shop_id: shop_id.to_string(),
                timestamp: now,
                data,
            };
            let body = serde_json::to_string(&body).unwrap_or_default();
            let delivery = Delivery {
                tts_notification_id: id.to_string(),
                event_type: event.code(),
                shop_id,
                signature: signing::webhook_signature(&app.app_key, &app.app_secret, body.as_bytes()),
                app_key,
                address,
                body,
                attempts: 0,
                due: now,
            };
            if self.faults.reorder {
                self.held.push(delivery);
            } else {
                self.queue.push_back(delivery);
            }
        }
    }

    /// Releases held deliveries, newest first; returns how many.
    pub fn release(&mut self) -> usize {
        let held = std::mem::take(&mut self.held);
        let count = held.len();
        self.queue.extend(held.into_iter().rev());
        count
    }

    pub fn set_faults(&mut self, faults: Faults) {
        let releasing = self.faults.reorder && !faults.reorder;
        self.faults = faults;
        if releasing {
            self.release();
        }
    }

    pub fn log(&self) -> DeliveryLog {
        DeliveryLog {
            delivered: self.delivered.clone(),
            pending: self.in_flight.iter().chain(&self.queue).cloned().collect(),
            held: self.held.clone(),
            failed: self.failed.clone(),
            dropped: self.dropped,
        }
    }

    /// Takes the deliveries due at `now`, in queue order, for sending; the
    /// drop fault swallows attempts here. Each comes with how many POSTs to make.
    fn take_due(&mut self, now: i64) -> Vec<(Delivery, usize)> {
        let mut due = Vec::new();
        let mut waiting = VecDeque::new();
        while let Some(mut delivery) = self.queue.pop_front() {
            if delivery.due > now {
                waiting.push_back(delivery);
            } else if self.faults.drop_next > 0 {
                self.faults.drop_next -= 1;
                self.dropped += 1;
                delivery.attempts += 1;
                if let Some(delivery) = retry_or_give_up(delivery, now, &mut self.failed) {
                    waiting.push_back(delivery);
                }
            } else {
                delivery.attempts += 1;
                self.in_flight.push(delivery.clone());
                due.push((delivery, if self.faults.duplicate { 2 } else { 1 }));
            }
        }
        self.queue = waiting;
        due
    }

    /// Records the outcome of a taken delivery's attempt (`Some(status)` for a 2xx).
    fn settle(&mut self, delivery: Delivery, acknowledged: &[u16], now: i64) {
        self.in_flight
            .retain(|d| d.tts_notification_id != delivery.tts_notification_id || d.address != delivery.address);
        if acknowledged.is_empty() {
            if let Some(delivery) = retry_or_give_up(delivery, now, &mut self.failed) {
                self.queue.push_back(delivery);
            }
            return;
        }
        for &status in acknowledged {
            self.delivered.push(Acknowledged {
                tts_notification_id: delivery.tts_notification_id.clone(),
                event_type: delivery.event_type,
                shop_id: delivery.shop_id,
                address: delivery.address.clone(),
                attempt: delivery.attempts,
                at: now,
                status,
            });
        }
    }
}

/// Schedules the next attempt after a failed one, or gives up after the last.
fn retry_or_give_up(mut delivery: Delivery, now: i64, failed: &mut Vec<Delivery>) -> Option<Delivery> {
    let wait = usize::try_from(delivery.attempts)
        .ok()
        .and_then(|n| RETRY_SCHEDULE_SECS.get(n.checked_sub(1)?));
    match wait {
        Some(wait) => {
            delivery.due = now + wait;
            Some(delivery)
        }
        None => {
            failed.push(delivery);
            None
        }
    }
}

/// The wire body, fields in the documentation's order.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: u8,
    tts_notification_id: String,
    shop_id: String,
    timestamp: i64,
    data: &'a Value,
}

/// `data` of an `ORDER_STATUS_CHANGE`. The webhook documentation names a
/// cancelled order `CANCEL`, where the order API says `CANCELLED`.
pub(crate) fn order_data(order_id: u64, status: Status, update_time: i64) -> Value {
    let status = match status {
        Status::Cancelled => "CANCEL",
        other => other.as_str(),
    };
    json!({
        "order_id": order_id.to_string(),
        "order_status": status,
        "is_on_hold_order": status == Status::OnHold.as_str(),
        "update_time": update_time,
    })
}

/// `data` of a `SELLER_DEAUTHORIZATION`.
pub(crate) fn deauthorization_data(shop_id: u64) -> Value {
    json!({"message": format!("Shop_id {shop_id} is deauthorized from your APP by merchant.")})
}

impl super::State {
    /// Turns order steps reached since the last sweep into notifications.
    pub(crate) fn sweep_webhooks(&mut self) {
        let now = self.clock.now();
        let from = self.webhooks.swept_to;
        if now <= from {
            return;
        }
        self.webhooks.swept_to = now;
        let shops: Vec<&Shop> = self
            .world
            .shops
            .values()
            .filter(|s| self.webhooks.wants(s.id, EventType::OrderStatusChange))
            .collect();
        for shop in shops {
            let mut steps: Vec<(i64, u64, Status)> = shop
                .orders
                .iter()
                .flat_map(|o| o.steps.iter().map(move |&(status, t)| (t, o.id, status)))
                .filter(|&(t, _, _)| from < t && t <= now)
                .collect();
            steps.sort_by_key(|&(t, id, _)| (t, id));
            for (t, order_id, status) in steps {
                let data = order_data(order_id, status, t);
                let apps = &self.world.apps;
                self.webhooks
                    .emit(apps, shop.id, EventType::OrderStatusChange, &data, t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        let mut failed = Vec::new();
        let mut delivery = Delivery {
            tts_notification_id: "1".into(),
            event_type: 1,
            shop_id: 1,
            app_key: "k".into(),
            address: "http://127.0.0.1:9/".into(),
            body: "{}".into(),
            signature: String::new(),
            attempts: 0,
            due: 0,
        };
        for wait in RETRY_SCHEDULE_SECS {
            delivery.attempts += 1;
            delivery = retry_or_give_up(delivery, 1_000, &mut failed).expect("retried");
            assert_eq!(delivery.due, 1_000 + wait);
        }
        delivery.attempts += 1;
        assert!(retry_or_give_up(delivery, 1_000, &mut failed).is_none());
        assert_eq!(failed.len(), 1);
    }

    #[test]
    fn every_type_has_its_documented_number() {
        let codes: Vec<u8> = EventType::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [1, 3, 4, 5, 6, 7, 11, 12, 15, 16]);
        assert!(EventType::ALL.iter().all(|e| EventType::parse(e.name()) == Some(*e)));
    }
}

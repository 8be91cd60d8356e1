//! TikTok Shop orders: a generated order (the same generator as Tokopedia's)
//! plus a timeline of statuses over world time.
//!
//! The timeline is laid out once, from the order's id and the shop's seed,
//! without squeezing it into the past: an order created an hour before the
//! anchor is still awaiting shipment at the anchor and moves on as the world
//! clock passes its next step. Its status and `update_time` at a moment are
//! those of the last step reached. The platform moves orders when the seller
//! ships and the courier scans; here the steps simply come due.

use crate::orders::Order as Generated;
use crate::rng::DetRng;

const STREAM: u64 = 11;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// An order status of the Partner API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Unpaid,
    OnHold,
    AwaitingShipment,
    PartiallyShipping,
    AwaitingCollection,
    InTransit,
    Delivered,
    Completed,
    Cancelled,
}

impl Status {
    const ALL: [Status; 9] = [
        Status::Unpaid,
        Status::OnHold,
        Status::AwaitingShipment,
        Status::PartiallyShipping,
        Status::AwaitingCollection,
        Status::InTransit,
        Status::Delivered,
        Status::Completed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unpaid => "UNPAID",
            Status::OnHold => "ON_HOLD",
            Status::AwaitingShipment => "AWAITING_SHIPMENT",
            Status::PartiallyShipping => "PARTIALLY_SHIPPING",
            Status::AwaitingCollection => "AWAITING_COLLECTION",
            Status::InTransit => "IN_TRANSIT",
            Status::Delivered => "DELIVERED",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// An order of a TikTok Shop shop.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// Wire id.
    pub id: u64,
    pub generated: Generated,
    /// Statuses and the world time each is reached, in order; the first is
    /// `UNPAID` at creation.
    pub steps: Vec<(Status, i64)>,
}

impl Order {
    pub fn new(id: u64, generated: Generated, seed: u64) -> Self {
        let steps = timeline(&generated, seed);
        Self { id, generated, steps }
    }

    pub fn create_time(&self) -> i64 {
        self.generated.create_time
    }

    /// Status and `update_time` at `now`; `None` before the order exists.
    pub fn state_at(&self, now: i64) -> Option<(Status, i64)> {
        self.steps.iter().rev().find(|(_, t)| *t <= now).copied()
    }

    /// When the order reached `status`, if it has by `now`.
    pub fn reached(&self, status: Status, now: i64) -> Option<i64> {
        self.steps
            .iter()
            .find(|&&(s, t)| s == status && t <= now)
            .map(|&(_, t)| t)
    }

    /// Brings the next step forward to `now` (later steps keep their
    /// spacing) and returns the new status; `None` for an order that does
    /// not exist yet or has no step left.
    pub fn advance(&mut self, now: i64) -> Option<Status> {
        if self.create_time() > now {
            return None;
        }
        let next = self.steps.iter().position(|(_, t)| *t > now)?;
        let shift = self.steps[next].1 - now;
        for step in &mut self.steps[next..] {
            step.1 -= shift;
        }
        Some(self.steps[next].0)
    }

    /// Moves the whole order (creation and every step, keeping their
    /// spacing) so that it is created at `now`.
    pub fn place_at(&mut self, now: i64) {
        let shift = self.create_time() - now;
        self.generated.create_time = now;
        for step in &mut self.steps {
            step.1 -= shift;
        }
    }

    /// Who cancelled, for a cancelled order.
    pub fn cancelled_by_buyer(&self) -> bool {
        self.id.is_multiple_of(2)
    }
}

/// UNPAID → AWAITING_SHIPMENT → AWAITING_COLLECTION → IN_TRANSIT → DELIVERED
/// → COMPLETED, or cancelled (one order in twenty) while awaiting shipment.
fn timeline(order: &Generated, seed: u64) -> Vec<(Status, i64)> {
    let mut rng = DetRng::new(seed ^ order.order_id, STREAM);
    let mut at = order.create_time;
    let mut steps = vec![(Status::Unpaid, at)];
    let mut then = |status, lo, hi, rng: &mut DetRng| {
        at += rng.range(lo, hi);
        steps.push((status, at));
    };
    then(Status::AwaitingShipment, 60, 900, &mut rng);
    if rng.chance(0.05) {
        then(Status::Cancelled, HOUR, 6 * HOUR, &mut rng);
        return steps;
    }
    then(Status::AwaitingCollection, HOUR, 6 * HOUR, &mut rng);
    then(Status::InTransit, 2 * HOUR, 12 * HOUR, &mut rng);
    then(Status::Delivered, DAY, 3 * DAY, &mut rng);
    then(Status::Completed, DAY, 3 * DAY, &mut rng);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(create_time: i64) -> Generated {
        let shop = crate::registry::Shop::build(
            crate::ShopConfig {
                shop_id: 1,
                products: 3,
                orders: 1,
                ..crate::ShopConfig::default()
            },
            create_time,
        );
        let mut order = shop.orders[0].clone();
        order.create_time = create_time;
        order
    }

    #[test]
    fn every_documented_status_parses() {
        for name in [
            "UNPAID",
            "ON_HOLD",
            "AWAITING_SHIPMENT",
            "PARTIALLY_SHIPPING",
            "AWAITING_COLLECTION",
            "IN_TRANSIT",
            "DELIVERED",
            "COMPLETED",
            "CANCELLED",
        ] {
            assert_eq!(Status::parse(name).map(Status::as_str), Some(name));
        }
    }

    #[test]
    fn status_follows_the_clock_and_advance_pulls_the_next_step() {
        let mut order = Order::new(9, generated(1_000), 1);
        assert_eq!(order.state_at(999), None);
        assert_eq!(order.state_at(1_000), Some((Status::Unpaid, 1_000)));
        let last = order.steps.last().copied().expect("steps");
        assert_eq!(order.state_at(last.1 + DAY), Some(last));

        assert_eq!(order.advance(1_010), Some(Status::AwaitingShipment));
        assert_eq!(order.state_at(1_010), Some((Status::AwaitingShipment, 1_010)));
        assert_eq!(order.steps[1], (Status::AwaitingShipment, 1_010));
        assert!(order.steps.windows(2).all(|w| w[0].1 <= w[1].1));
        while order.advance(1_010).is_some() {}
        assert_eq!(order.state_at(1_010).map(|s| s.1), Some(1_010));
        assert!(matches!(
            order.state_at(1_010).map(|s| s.0),
            Some(Status::Completed | Status::Cancelled)
        ));
    }

    #[test]
    fn a_placed_order_keeps_its_timeline_from_its_new_creation() {
        let mut order = Order::new(9, generated(5_000), 1);
        let spacing: Vec<i64> = order.steps.iter().map(|(_, t)| t - 5_000).collect();
        order.place_at(2_000);
        assert_eq!(order.create_time(), 2_000);
        assert_eq!(order.state_at(2_000), Some((Status::Unpaid, 2_000)));
        let moved: Vec<i64> = order.steps.iter().map(|(_, t)| t - 2_000).collect();
        assert_eq!(moved, spacing);
    }
}

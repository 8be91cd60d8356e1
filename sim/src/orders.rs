//! Deterministic order histories.
//!
//! Order `i` of a shop sits a fixed, seed-derived offset back from the sim's
//! anchor time, so a history only moves as a whole when the anchor does.
//! Every generated order has passed payment verification (status 220), which
//! is what Tokopedia's order list shows; its current status depends on its
//! age (recent orders still wait for processing, old ones are finished).

use serde::Serialize;

use crate::catalog::Product;
use crate::config::MAX_ORDERS;
use crate::data::{AREAS, FIRST_NAMES, LAST_NAMES, STREETS};
use crate::rng::DetRng;

const STREAM: u64 = 2;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// One paid order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    /// Unique across shops: `shop_id * 1_000_000 + n`, increasing with time.
    pub order_id: u64,
    pub shop_id: u64,
    pub warehouse_id: u64,
    /// `INV/<yyyymmdd>/<yy in roman>/<month in roman>/<order_id>`.
    pub invoice_ref_num: String,
    /// Unix seconds.
    pub create_time: i64,
    pub order_status: u32,
    /// Status changes, oldest first: (status, unix seconds).
    pub history: Vec<(u32, i64)>,
    pub buyer: Person,
    pub recipient: Person,
    pub address: Address,
    pub items: Vec<OrderItem>,
    pub shipping: Shipping,
    pub shipping_cost: i64,
    pub insurance_cost: i64,
    pub voucher_amount: i64,
    pub payment_id: u64,
    /// Airway bill once shipped, else empty.
    pub awb: String,
}

impl Order {
    /// Sum of the line totals (rupiah).
    pub fn product_total(&self) -> i64 {
        self.items.iter().map(OrderItem::total_price).sum()
    }

    /// What the buyer paid: products + shipping + insurance − voucher.
    pub fn total_amount(&self) -> i64 {
        self.product_total() + self.shipping_cost + self.insurance_cost - self.voucher_amount
    }

    /// Time the order reached `status`, if it did.
    pub fn status_time(&self, status: u32) -> Option<i64> {
        self.history.iter().find(|(s, _)| *s == status).map(|&(_, t)| t)
    }
}

/// Buyer or recipient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: u64,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// Delivery address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub street: String,
    pub district: String,
    pub city: String,
    pub province: String,
    pub postal_code: String,
    pub district_id: u64,
    pub city_id: u64,
    pub province_id: u64,
    pub geo: String,
}

impl Address {
    /// One-line form used by `address_full`.
    pub fn full(&self) -> String {
        format!(
            "{}, {}, {}, {}, {}",
            self.street, self.district, self.city, self.province, self.postal_code
        )
    }
}

/// A bought product line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderItem {
    pub product_id: u64,
    pub name: String,
    pub sku: String,
    /// Unit price in rupiah.
    pub price: i64,
    pub quantity: u32,
    pub weight_grams: i64,
    pub notes: String,
}

impl OrderItem {
    /// `price * quantity`.
    pub fn total_price(&self) -> i64 {
        self.price * i64::from(self.quantity)
    }
}

/// Courier chosen by the buyer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shipping {
    pub shipper_id: u64,
    pub agency: String,
    pub service: String,
}

/// Everything order generation needs to know about the shop.
pub(crate) struct OrderSource<'a> {
    pub shop_id: u64,
    pub warehouse_id: u64,
    pub seed: u64,
    pub count: usize,
    pub days: u32,
    /// Newest possible create time (unix seconds).
    pub anchor: i64,
    pub products: &'a [Product],
    /// Courier options: (shipper_id, agency, service).
    pub couriers: &'a [Shipping],
}

/// Generates the shop's history, oldest first (so ids grow with time).
/// A shop without products or couriers has no orders.
pub(crate) fn generate(src: &OrderSource<'_>) -> Vec<Order> {
    if src.products.is_empty() || src.couriers.is_empty() {
        return Vec::new();
    }
    let mut rng = DetRng::new(src.seed, STREAM);
    let count = src.count.min(MAX_ORDERS);
    let span = i64::from(src.days.max(1)) * DAY;
    // A twentieth of the orders are forced into the last day so "today" is
    // never empty, whatever the history length.
    let recent = count.div_ceil(20);
    let mut offsets: Vec<i64> = (0..count)
        .map(|i| {
            let window = if i < recent { span.min(DAY) } else { span };
            rng.range(0, window - 1)
        })
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));

    let sellable: Vec<&Product> = src.products.iter().filter(|p| p.status == 1).collect();
    let pool: Vec<&Product> = if sellable.is_empty() {
        src.products.iter().collect()
    } else {
        sellable
    };
    offsets
        .into_iter()
        .enumerate()
        .map(|(i, age)| order(&mut rng, src, &pool, i, age))
        .collect()
}

fn order(rng: &mut DetRng, src: &OrderSource<'_>, pool: &[&Product], i: usize, age: i64) -> Order {
    let order_id = src.shop_id.wrapping_mul(1_000_000).wrapping_add(i as u64 + 1);
    let create_time = src.anchor - age;
    let order_status = status_for_age(rng, age);
    let history = history(rng, order_status, create_time, age);

    let buyer = person(rng);
    let recipient = if rng.chance(0.85) { buyer.clone() } else { person(rng) };
    let area = rng.pick(AREAS);
    let address = Address {
        street: (*rng.pick(STREETS)).to_owned(),
        district: area.district.into(),
        city: area.city.into(),
        province: area.province.into(),
        postal_code: area.postal_code.into(),
        district_id: area.district_id,
        city_id: area.city_id,
        province_id: area.province_id,
        geo: area.geo.into(),
    };

    let lines = [1, 2, 3][rng.weighted(&[70, 22, 8])];
    let mut items: Vec<OrderItem> = Vec::with_capacity(lines);
    for _ in 0..lines {
        let product = *rng.pick(pool);
        if items.iter().any(|it| it.product_id == product.product_id) {
            continue;
        }
        items.push(OrderItem {
            product_id: product.product_id,
            name: product.name.clone(),
            sku: product.sku.clone(),
            price: product.price,
            quantity: [1, 2, 3][rng.weighted(&[75, 18, 7])],
            weight_grams: product.weight_grams,
            notes: if rng.chance(0.1) {
                "Warna sesuai foto ya kak".into()
            } else {
                String::new()
            },
        });
    }
    let product_total: i64 = items.iter().map(OrderItem::total_price).sum();
    let weight_grams: i64 = items.iter().map(|it| it.weight_grams * i64::from(it.quantity)).sum();
    let weight_kg = (weight_grams + 999) / 1000;

    let shipping = rng.pick(src.couriers).clone();
    let shipping_cost = rng.range(9, 24) * 1000 + (weight_kg - 1).max(0) * 2000;
    let insurance_cost = if rng.chance(0.2) {
        (product_total / 500).max(500)
    } else {
        0
    };
    let voucher_amount = if rng.chance(0.15) {
        (*rng.pick(&[5_000, 10_000, 20_000])).min(product_total)
    } else {
        0
    };
    let awb = if order_status >= 500 {
        let prefix: String = shipping
            .agency
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(2)
            .collect();
        format!("{}{:010}", prefix.to_ascii_uppercase(), rng.below(10_000_000_000))
    } else {
        String::new()
    };

    Order {
        order_id,
        shop_id: src.shop_id,
        warehouse_id: src.warehouse_id,
        invoice_ref_num: reference("INV", create_time, order_id),
        create_time,
        order_status,
        history,
        buyer,
        recipient,
        address,
        items,
        shipping,
        shipping_cost,
        insurance_cost,
        voucher_amount,
        payment_id: 10_000_000 + rng.below(90_000_000),
        awb,
    }
}

/// Current status of an order of the given age: young orders wait for the
/// seller, old ones are finished, and a few of every age were cancelled.
fn status_for_age(rng: &mut DetRng, age: i64) -> u32 {
    let (statuses, weights): (&[u32], &[u32]) = if age < 6 * HOUR {
        (&[220, 400, 450], &[50, 35, 15])
    } else if age < DAY {
        (&[220, 400, 450, 500, 10], &[10, 30, 20, 35, 5])
    } else if age < 3 * DAY {
        (&[400, 500, 600, 10, 0], &[10, 45, 35, 5, 5])
    } else {
        (&[700, 600, 500, 10, 0], &[75, 12, 3, 5, 5])
    };
    statuses[rng.weighted(weights)]
}

/// Status changes leading to `status`, squeezed into the order's age so that
/// nothing happens after the anchor.
fn history(rng: &mut DetRng, status: u32, created: i64, age: i64) -> Vec<(u32, i64)> {
    const FLOW: [u32; 7] = [100, 220, 400, 450, 500, 600, 700];
    let path: Vec<u32> = match status {
        0 => vec![100, 220, 400, 0],
        10 => vec![100, 220, 10],
        s => FLOW.iter().copied().take_while(|&f| f <= s).collect(),
    };
    let mut at = 0i64;
    let mut steps: Vec<(u32, i64)> = path
        .iter()
        .map(|&s| {
            at += match s {
                100 => 0,
                220 => rng.range(60, 900),
                400 | 0 | 10 => rng.range(HOUR, 6 * HOUR),
                450 => rng.range(HOUR, 4 * HOUR),
                500 => rng.range(2 * HOUR, 12 * HOUR),
                _ => rng.range(DAY, 3 * DAY),
            };
            (s, at)
        })
        .collect();
    let last = steps.last().map_or(0, |&(_, t)| t);
    for (_, t) in &mut steps {
        if last > age {
            // Proportional squeeze keeps the order of events.
            *t = (*t as i128 * age as i128 / last as i128) as i64;
        }
        *t += created;
    }
    steps
}

fn person(rng: &mut DetRng) -> Person {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    Person {
        id: 1_000_000 + rng.below(99_000_000),
        name: format!("{first} {last}"),
        phone: format!("62812{:08}", rng.below(100_000_000)),
        email: format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            rng.below(100)
        ),
    }
}

/// Tokopedia reference number such as an invoice
/// (`INV/20250110/XXV/I/67890000001`) or payment (`PYM/...`).
pub(crate) fn reference(prefix: &str, unix: i64, number: u64) -> String {
    let date = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
    let year = chrono::Datelike::year(&date).rem_euclid(100) as u32;
    let month = chrono::Datelike::month(&date);
    format!(
        "{prefix}/{}/{}/{}/{number}",
        date.format("%Y%m%d"),
        roman(year),
        roman(month)
    )
}

fn roman(mut n: u32) -> String {
    const TABLE: [(u32, &str); 8] = [
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_uses_roman_year_and_month() {
        // 2025-01-10T00:00:00Z
        assert_eq!(reference("INV", 1_736_467_200, 502), "INV/20250110/XXV/I/502");
        assert_eq!(roman(17), "XVII");
        assert_eq!(roman(7), "VII");
    }

    #[test]
    fn history_never_passes_the_anchor() {
        let mut rng = DetRng::new(3, 3);
        for age in [0, 30, HOUR, DAY, 10 * DAY] {
            for status in [220, 400, 500, 600, 700, 0, 10] {
                let steps = history(&mut rng, status, 1_000 - age, age);
                assert!(steps.windows(2).all(|w| w[0].1 <= w[1].1));
                assert!(steps.iter().all(|&(_, t)| t <= 1_000));
                assert_eq!(steps.last().map(|s| s.0), Some(status));
            }
        }
    }
}

//! The TikTok Shop world: apps, and shops with their warehouses, catalog,
//! per-warehouse stock and orders.
//!
//! A shop's profile, catalog and orders come from the generators of the
//! Tokopedia world (a [`registry::Shop`] numbered by the shop's local number,
//! see [`super::ids`]); what is TikTok Shop's own lives here: wire ids,
//! ciphers, warehouses, stock per warehouse and order timelines.

use std::collections::{BTreeMap, HashMap};

use super::config::{AppConfig, Config, ShopConfig};
use super::endpoint::Endpoint;
use super::ids;
use super::order::Order;
use crate::orders::{self, OrderSource};
use crate::registry;

/// Seeds of arrivals differ from the history's so new orders are not replays.
const ARRIVAL_SEED: u64 = 0x7473_6172_7269_7665;

/// A partner app.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub app_key: String,
    pub app_secret: String,
    pub service_id: String,
    pub redirect_uri: String,
    pub shop_ids: Vec<u64>,
}

/// A seller warehouse.
#[derive(Debug, Clone)]
pub(crate) struct Warehouse {
    pub id: u64,
    pub name: String,
}

/// A shop with its generated data and runtime knobs.
#[derive(Debug)]
pub(crate) struct Shop {
    pub id: u64,
    pub cipher: String,
    pub code: String,
    pub name: String,
    pub region: String,
    pub latency_ms: u64,
    pub failure_rate: f64,
    /// Planned outages: calls to the endpoint that still succeed before every
    /// call to it fails (see [`Shop::outage_reached`]).
    pub outages: HashMap<Endpoint, u64>,
    pub warehouses: Vec<Warehouse>,
    /// Profile, catalog and history as the shared generators make them.
    pub generated: registry::Shop,
    /// Stock per product (catalog order), per warehouse (`warehouses` order).
    pub stock: Vec<Vec<u32>>,
    /// History then arrivals, sorted by (create_time, id).
    pub orders: Vec<Order>,
    product_index: HashMap<u64, usize>,
    order_index: HashMap<u64, usize>,
}

impl Shop {
    /// Generates the shop; `anchor` ends the history and starts the arrivals.
    pub fn build(config: &ShopConfig, anchor: i64) -> Self {
        let local = ids::local(config.shop_id);
        let generated = registry::Shop::build(
            crate::ShopConfig {
                shop_id: local,
                name: config.name.clone(),
                seed: config.seed,
                products: config.products,
                orders: config.orders,
                order_days: config.order_days,
                ..crate::ShopConfig::default()
            },
            anchor,
        );
        let couriers = generated.couriers();
        let arrivals = orders::generate(&OrderSource {
            shop_id: local + ids::ARRIVALS,
            warehouse_id: generated.warehouse_id,
            seed: config.seed ^ ARRIVAL_SEED,
            count: (config.arrivals_per_day as usize).saturating_mul(config.arrival_days as usize),
            days: config.arrival_days,
            anchor: anchor + i64::from(config.arrival_days) * 86_400,
            products: &generated.products,
            couriers: &couriers,
        });
        let orders: Vec<Order> = generated
            .orders
            .iter()
            .cloned()
            .chain(arrivals)
            .map(|o| Order::new(ids::order(o.order_id), o, config.seed))
            .collect();

        let warehouses: Vec<Warehouse> = if config.warehouses.is_empty() {
            vec![Warehouse {
                id: ids::default_warehouse(config.shop_id),
                name: format!("Gudang {}", generated.area.town),
            }]
        } else {
            config
                .warehouses
                .iter()
                .map(|w| Warehouse {
                    id: w.id,
                    name: w.name.clone(),
                })
                .collect()
        };
        // The first warehouse holds the catalog's stock; each further one a
        // smaller share, so the quantities differ per warehouse.
        let stock = generated
            .products
            .iter()
            .map(|p| (0..warehouses.len()).map(|w| p.stock / (w as u32 * 2).max(1)).collect())
            .collect();
        let product_index = generated
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (ids::product(p.product_id), i))
            .collect();
        let order_index = orders.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
        let cipher = match config.cipher.as_str() {
            "" => ids::default_cipher(config.shop_id),
            given => given.to_owned(),
        };
        Self {
            id: config.shop_id,
            cipher,
            code: ids::shop_code(&config.region, config.shop_id),
            name: config.name.clone(),
            region: config.region.clone(),
            latency_ms: config.latency_ms,
            failure_rate: config.failure_rate,
            outages: HashMap::new(),
            warehouses,
            generated,
            stock,
            orders,
            product_index,
            order_index,
        }
    }

    /// Counts a call to `endpoint` against its planned outage; true when the
    /// outage has begun and the call must fail.
    pub fn outage_reached(&mut self, endpoint: Endpoint) -> bool {
        match self.outages.get_mut(&endpoint) {
            Some(0) => true,
            Some(left) => {
                *left -= 1;
                false
            }
            None => false,
        }
    }

    /// Brings the next order still to arrive forward to `now` and returns it;
    /// `None` when no arrival is left. Orders stay sorted by (create_time, id).
    pub fn place_next_order(&mut self, now: i64) -> Option<&Order> {
        let next = self.orders.iter().position(|o| o.create_time() > now)?;
        self.orders[next].place_at(now);
        // Ids grow with creation, so this rarely moves it: only past an order
        // created at `now` too with a greater id.
        let key = |o: &Order| (o.create_time(), o.id);
        let mut at = next;
        while at > 0 && key(&self.orders[at - 1]) > key(&self.orders[at]) {
            self.orders.swap(at - 1, at);
            self.order_index.insert(self.orders[at].id, at);
            at -= 1;
        }
        self.order_index.insert(self.orders[at].id, at);
        Some(&self.orders[at])
    }

    /// Catalog index of a wire product id.
    pub fn product_index(&self, product_id: u64) -> Option<usize> {
        self.product_index.get(&product_id).copied()
    }

    /// Catalog index of a wire SKU id (every product has one SKU).
    pub fn sku_index(&self, sku_id: u64) -> Option<usize> {
        let generated = sku_id.checked_sub(ids::sku(0))?;
        self.product_index(ids::product(generated))
    }

    pub fn order(&self, order_id: u64) -> Option<&Order> {
        self.order_index.get(&order_id).map(|&i| &self.orders[i])
    }

    pub fn order_mut(&mut self, order_id: u64) -> Option<&mut Order> {
        self.order_index.get(&order_id).map(|&i| &mut self.orders[i])
    }

    pub fn warehouse_index(&self, warehouse_id: u64) -> Option<usize> {
        self.warehouses.iter().position(|w| w.id == warehouse_id)
    }

    /// The seller holding the shop, as a consent names them.
    pub fn seller(&self) -> super::auth::Seller {
        super::auth::Seller {
            open_id: ids::open_id(self.id).to_string(),
            name: self.name.clone(),
            region: self.region.clone(),
        }
    }
}

/// All TikTok Shop apps and shops.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub apps: BTreeMap<String, App>,
    pub shops: BTreeMap<u64, Shop>,
}

impl World {
    /// Builds every app and shop. A shop listed by several apps is built once
    /// (from its first listing); a shop whose local number another shop
    /// already has is left out with a warning, as its ids would collide.
    pub fn new(config: &Config, anchor: i64) -> Self {
        let mut world = Self::default();
        let mut locals: HashMap<u64, u64> = HashMap::new();
        for app in &config.apps {
            world.add_app(app, anchor, &mut locals);
        }
        world
    }

    fn add_app(&mut self, config: &AppConfig, anchor: i64, locals: &mut HashMap<u64, u64>) {
        let mut shop_ids = Vec::new();
        for shop in &config.shops {
            let local = ids::local(shop.shop_id);
            match locals.get(&local) {
                Some(&owner) if owner != shop.shop_id => {
                    tracing::warn!(
                        shop_id = shop.shop_id,
                        other = owner,
                        "TikTok Shop shops share the last seven digits; leaving the later one out"
                    );
                    continue;
                }
                Some(_) => {}
                None => {
                    locals.insert(local, shop.shop_id);
                    self.shops.insert(shop.shop_id, Shop::build(shop, anchor));
                }
            }
            shop_ids.push(shop.shop_id);
        }
        self.apps.insert(
            config.app_key.clone(),
            App {
                app_key: config.app_key.clone(),
                app_secret: config.app_secret.clone(),
                service_id: config.service_id.clone(),
                redirect_uri: config.redirect_uri.clone(),
                shop_ids,
            },
        );
    }

    pub fn app_by_service(&self, service_id: &str) -> Option<&App> {
        self.apps
            .values()
            .find(|a| !a.service_id.is_empty() && a.service_id == service_id)
    }

    pub fn shop_by_cipher(&self, cipher: &str) -> Option<&Shop> {
        self.shops.values().find(|s| s.cipher == cipher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_shop_has_two_warehouses_history_and_arrivals() {
        let anchor = 1_736_467_200;
        let world = World::new(&Config::demo(), anchor);
        let shop = world.shops.values().next().expect("a shop");
        assert_eq!(shop.warehouses.len(), 2);
        assert!(shop.stock.iter().all(|s| s.len() == 2));
        assert!(
            shop.orders
                .windows(2)
                .all(|w| (w[0].create_time(), w[0].id) < (w[1].create_time(), w[1].id))
        );
        let history = shop.orders.iter().filter(|o| o.create_time() <= anchor).count();
        assert_eq!(history, 600);
        assert_eq!(shop.orders.len(), 600 + 20 * 30);
        let first = &shop.generated.products[0];
        let sku = ids::sku(first.product_id);
        assert_eq!(shop.sku_index(sku), Some(0));
        assert!(shop.cipher.starts_with("ROW_"));
        assert_eq!(
            world.app_by_service("7312000000000000001").map(|a| a.shop_ids.len()),
            Some(1)
        );
    }

    #[test]
    fn shops_whose_ids_collide_are_left_out() {
        let shop = |shop_id| ShopConfig {
            shop_id,
            products: 2,
            orders: 2,
            arrivals_per_day: 0,
            ..ShopConfig::default()
        };
        let config = Config {
            apps: vec![AppConfig {
                app_key: "k".into(),
                app_secret: "s".into(),
                service_id: String::new(),
                redirect_uri: String::new(),
                shops: vec![shop(17_000_001), shop(27_000_001), shop(17_000_002)],
            }],
            ..Config::default()
        };
        let world = World::new(&config, 0);
        assert_eq!(world.shops.len(), 2);
        assert_eq!(world.apps["k"].shop_ids, vec![17_000_001, 17_000_002]);
    }
}

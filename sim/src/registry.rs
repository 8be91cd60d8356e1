//! The simulated marketplace data: apps, the shops linked to them, and each
//! shop's profile, warehouse, couriers, catalog and order history.

use std::collections::{BTreeMap, HashMap};

use crate::catalog::{self, Product};
use crate::config::{AppConfig, ShopConfig};
use crate::data::{AREAS, Area, SHIPPERS, Shipper};
use crate::orders::{self, Order, OrderSource, Shipping};
use crate::rng::DetRng;

const PROFILE_STREAM: u64 = 3;

/// A partner app and the shops it may act for.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub fs_id: u64,
    pub client_id: String,
    pub client_secret: String,
    pub shop_ids: Vec<u64>,
}

/// A shop with its generated data and runtime knobs.
#[derive(Debug)]
pub(crate) struct Shop {
    pub config: ShopConfig,
    /// Web domain (`tokopedia.com/<domain>`).
    pub domain: String,
    pub user_id: u64,
    /// `YYYY-MM-DD`.
    pub created: String,
    pub area: &'static Area,
    /// The shop's only warehouse (`shop_id * 10 + 1`).
    pub warehouse_id: u64,
    pub shippers: Vec<&'static Shipper>,
    pub products: Vec<Product>,
    by_id: HashMap<u64, usize>,
    by_sku: HashMap<String, usize>,
    /// Sorted by (create_time, order_id).
    pub orders: Vec<Order>,
}

impl Shop {
    /// Generates the shop; `anchor` is the newest possible order time.
    pub fn build(config: ShopConfig, anchor: i64) -> Self {
        let mut rng = DetRng::new(config.seed, PROFILE_STREAM);
        let domain = match catalog::slug(&config.name).replace('-', "") {
            d if d.is_empty() => format!("shop{}", config.shop_id),
            d => d,
        };
        let area = area_for(&config.name).unwrap_or_else(|| rng.pick(AREAS));
        let shippers: Vec<&'static Shipper> = SHIPPERS
            .iter()
            .enumerate()
            .filter(|&(i, _)| i == 0 || rng.chance(0.6))
            .map(|(_, s)| s)
            .collect();
        // Shop opening day somewhere in 2017..2022.
        let created = chrono::DateTime::from_timestamp(1_483_228_800 + rng.range(0, 6 * 365) * 86_400, 0)
            .unwrap_or_default()
            .format("%Y-%m-%d")
            .to_string();
        let user_id = 5_000_000 + rng.below(4_000_000);
        let warehouse_id = config.shop_id.wrapping_mul(10).wrapping_add(1);

        let products = catalog::generate(config.shop_id, config.seed, config.products, &domain);
        let couriers = couriers(&shippers);
        let orders = orders::generate(&OrderSource {
            shop_id: config.shop_id,
            warehouse_id,
            seed: config.seed,
            count: config.orders,
            days: config.order_days,
            anchor,
            products: &products,
            couriers: &couriers,
        });
        let by_id = products.iter().enumerate().map(|(i, p)| (p.product_id, i)).collect();
        let by_sku = products.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
        Self {
            config,
            domain,
            user_id,
            created,
            area,
            warehouse_id,
            shippers,
            products,
            by_id,
            by_sku,
            orders,
        }
    }

    pub fn shop_id(&self) -> u64 {
        self.config.shop_id
    }

    pub fn product(&self, product_id: u64) -> Option<&Product> {
        self.by_id.get(&product_id).map(|&i| &self.products[i])
    }

    pub fn product_by_sku(&self, sku: &str) -> Option<&Product> {
        self.by_sku.get(sku).map(|&i| &self.products[i])
    }

    pub fn product_mut(&mut self, product_id: u64) -> Option<&mut Product> {
        self.by_id.get(&product_id).map(|&i| &mut self.products[i])
    }

    /// Every (courier, service) the shop ships with.
    pub fn couriers(&self) -> Vec<Shipping> {
        couriers(&self.shippers)
    }
}

fn couriers(shippers: &[&'static Shipper]) -> Vec<Shipping> {
    shippers
        .iter()
        .flat_map(|s| {
            s.services.iter().map(|&(_, service, _)| Shipping {
                shipper_id: s.id,
                agency: s.name.to_owned(),
                service: service.to_owned(),
            })
        })
        .collect()
}

/// The first area whose town is named in the shop name.
fn area_for(name: &str) -> Option<&'static Area> {
    let name = name.to_lowercase();
    AREAS.iter().find(|a| name.contains(&a.town.to_lowercase()))
}

/// All apps and shops.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub apps: BTreeMap<u64, App>,
    pub shops: BTreeMap<u64, Shop>,
}

impl Registry {
    pub fn new(apps: &[AppConfig], anchor: i64) -> Self {
        let mut registry = Self::default();
        for app in apps {
            registry.add_app(app.clone(), anchor);
        }
        registry
    }

    /// Adds or replaces an app; its shops are (re)generated from their
    /// configs. A shop listed by several apps is linked to all of them and
    /// takes the config of the app added last.
    pub fn add_app(&mut self, config: AppConfig, anchor: i64) {
        let shop_ids = config.shops.iter().map(|s| s.shop_id).collect();
        for shop in config.shops {
            self.shops.insert(shop.shop_id, Shop::build(shop, anchor));
        }
        self.apps.insert(
            config.fs_id,
            App {
                fs_id: config.fs_id,
                client_id: config.client_id,
                client_secret: config.client_secret,
                shop_ids,
            },
        );
        let linked: Vec<u64> = self.apps.values().flat_map(|a| a.shop_ids.clone()).collect();
        self.shops.retain(|id, _| linked.contains(id));
    }

    pub fn app_by_credentials(&self, client_id: &str, client_secret: &str) -> Option<&App> {
        self.apps
            .values()
            .find(|a| a.client_id == client_id && a.client_secret == client_secret)
    }

    pub fn is_linked(&self, fs_id: u64, shop_id: u64) -> bool {
        self.apps.get(&fs_id).is_some_and(|a| a.shop_ids.contains(&shop_id))
    }

    /// The app's shops, in link order.
    pub fn shops_of(&self, fs_id: u64) -> Vec<&Shop> {
        self.apps
            .get(&fs_id)
            .map(|a| a.shop_ids.iter().filter_map(|id| self.shops.get(id)).collect())
            .unwrap_or_default()
    }

    /// The app's shops, or only `shop_id` when given.
    pub fn shops_matching(&self, fs_id: u64, shop_id: Option<u64>) -> Vec<&Shop> {
        let mut shops = self.shops_of(fs_id);
        shops.retain(|s| shop_id.is_none_or(|id| s.shop_id() == id));
        shops
    }

    /// The linked shop that owns `warehouse_id`.
    pub fn shop_of_warehouse(&self, fs_id: u64, warehouse_id: u64) -> Option<u64> {
        self.shops_of(fs_id)
            .into_iter()
            .find(|s| s.warehouse_id == warehouse_id)
            .map(Shop::shop_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;

    #[test]
    fn demo_shops_are_located_by_name() {
        let registry = Registry::new(&SimConfig::demo().apps, 1_736_467_200);
        assert_eq!(registry.shops[&67890].area.province, "DKI Jakarta");
        assert_eq!(registry.shops[&12346].area.city, "Kota Surabaya");
        assert_eq!(registry.shops[&67890].domain, "fashionstorejakarta");
        assert!(registry.is_linked(12345, 67890));
        assert!(!registry.is_linked(12345, 12346));
    }

    #[test]
    fn orders_are_sorted_and_ids_unique_across_shops() {
        let registry = Registry::new(&SimConfig::demo().apps, 1_736_467_200);
        let mut ids = std::collections::HashSet::new();
        for shop in registry.shops.values() {
            assert!(!shop.orders.is_empty());
            assert!(
                shop.orders
                    .windows(2)
                    .all(|w| (w[0].create_time, w[0].order_id) < (w[1].create_time, w[1].order_id))
            );
            assert!(shop.orders.iter().all(|o| ids.insert(o.order_id)));
        }
    }
}

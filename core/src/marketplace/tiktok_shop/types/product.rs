//! Products and stock: `POST /product/202502/products/search`, `GET /product/202309/products/{id}`,
//! `POST /product/202309/inventory/search` and the body of
//! `POST /product/202309/products/{id}/inventory/update`. Stock is per warehouse.

use serde::{Deserialize, Serialize};

use super::{next_token, optional_money};
use crate::marketplace::types::WithRaw;

/// One page of the product search.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductPage {
    #[serde(default)]
    pub products: Vec<WithRaw<Product>>,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

impl ProductPage {
    /// The cursor of the next page, `None` on the last page.
    pub fn next_cursor(&self) -> Option<&str> {
        next_token(&self.next_page_token)
    }
}

/// A product as the search lists it and as the detail call answers (which adds fields we do not read).
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: String,
    #[serde(default)]
    pub title: String,
    /// `ACTIVATE`, `SELLER_DEACTIVATED`, `PLATFORM_DEACTIVATED`, `DRAFT`, ...
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub skus: Vec<Sku>,
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sku {
    pub id: String,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub price: Option<SkuPrice>,
    /// Stock per warehouse.
    #[serde(default)]
    pub inventory: Vec<WarehouseStock>,
}

/// A SKU's price, in whole units of `currency`.
#[derive(Debug, Clone, Deserialize)]
pub struct SkuPrice {
    pub currency: String,
    /// What the buyer pays.
    #[serde(default, deserialize_with = "optional_money")]
    pub sale_price: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub tax_exclusive_price: Option<i64>,
}

/// Stock of one SKU in one warehouse, as read and as written (absolute, not a delta).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WarehouseStock {
    pub warehouse_id: String,
    pub quantity: i64,
}

/// Filters of the product search body; `None` filters are left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProductFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Unix seconds, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time_ge: Option<i64>,
    /// Unix seconds, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time_le: Option<i64>,
}

/// The inventory update body: `{"skus": [{"id", "inventory": [{"warehouse_id", "quantity"}]}]}`.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryUpdate<'a> {
    pub skus: &'a [SkuInventory],
}

/// New stock of one SKU. A SKU stocked in several warehouses must list every one of them (`12019028`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkuInventory {
    pub id: String,
    pub inventory: Vec<WarehouseStock>,
}

/// `POST /product/202309/inventory/search`.
#[derive(Debug, Clone, Deserialize)]
pub struct InventoryLevels {
    #[serde(default)]
    pub inventory: Vec<ProductInventory>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductInventory {
    pub product_id: String,
    #[serde(default)]
    pub skus: Vec<SkuInventoryLevel>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SkuInventoryLevel {
    pub id: String,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub total_available_quantity: Option<i64>,
    #[serde(default)]
    pub total_committed_quantity: Option<i64>,
    #[serde(default)]
    pub warehouse_inventory: Vec<WarehouseInventory>,
}

/// Stock of one SKU in one warehouse as the inventory search reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct WarehouseInventory {
    pub warehouse_id: String,
    pub available_quantity: i64,
    #[serde(default)]
    pub committed_quantity: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inventory_update_body_lists_every_warehouse() {
        let skus = [SkuInventory {
            id: "1".into(),
            inventory: vec![
                WarehouseStock {
                    warehouse_id: "w1".into(),
                    quantity: 3,
                },
                WarehouseStock {
                    warehouse_id: "w2".into(),
                    quantity: 0,
                },
            ],
        }];
        let body = serde_json::to_string(&InventoryUpdate { skus: &skus }).unwrap();
        assert_eq!(
            body,
            r#"{"skus":[{"id":"1","inventory":[{"warehouse_id":"w1","quantity":3},{"warehouse_id":"w2","quantity":0}]}]}"#
        );
    }

    #[test]
    fn inventory_levels_are_per_warehouse() {
        let body = r#"{"inventory":[{"product_id":"1","skus":[{"id":"2","seller_sku":"A-1",
            "total_available_quantity":7,"warehouse_inventory":[{"warehouse_id":"w1","available_quantity":4},
            {"warehouse_id":"w2","available_quantity":3,"committed_quantity":1}]}]}]}"#;
        let levels: InventoryLevels = serde_json::from_str(body).unwrap();
        let sku = &levels.inventory[0].skus[0];
        let available: Vec<i64> = sku.warehouse_inventory.iter().map(|w| w.available_quantity).collect();
        assert_eq!((sku.total_available_quantity, available), (Some(7), vec![4, 3]));
    }

    #[test]
    fn a_product_id_must_be_a_string() {
        let body = r#"{"id":1729592969712207008,"create_time":1,"update_time":2}"#;
        assert!(serde_json::from_str::<Product>(body).is_err());
    }

    #[test]
    fn an_empty_filter_is_an_empty_object() {
        assert_eq!(serde_json::to_string(&ProductFilter::default()).unwrap(), "{}");
    }
}

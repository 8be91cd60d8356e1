//! Tokopedia's products and orders as the neutral catalog: numeric ids become strings, status codes map
//! to the neutral statuses (the code is kept as `marketplace_status`), and there are no warehouses.
//!
//! `migrations/20261204000005_neutral_catalog.sql` maps the codes of rows stored before the neutral
//! catalog with the same rules; `core/tests/neutral_catalog.rs` checks both agree on every code.

use chrono::{DateTime, Utc};

use super::types::{Order, Product, WithRaw};
use crate::domain::{CatalogOrder, CatalogProduct, OrderStatus, ProductStatus};

impl OrderStatus {
    /// Tokopedia's `order_status` code. Codes below 100 are cancellations and rejections (0 seller
    /// cancelled, 2–4 rejected, 5 fraud, 6 out of stock, 10 rejected by the seller, 11 awaiting a
    /// replacement seller, 15 cancelled at the buyer's request); 100–219 are not paid yet (100 placed, 103
    /// and 200 payment being confirmed); 220 (payment verified), 221 (awaiting partner approval) and 400
    /// (accepted) are to be shipped; 450 waits for the courier's pickup; the 500s are with the courier
    /// (500 shipped … 550 returned to the seller); the 600s delivered (601 buyer opened a case, 690–699
    /// fraud review); 700 and 701 finished. Any other code is unknown.
    pub fn from_tokopedia(code: i32) -> Self {
        match code {
            ..=99 => Self::Cancelled,
            100..=219 => Self::Unpaid,
            220 | 221 | 400 => Self::AwaitingShipment,
            450 => Self::AwaitingCollection,
            500..=599 => Self::Shipped,
            600..=699 => Self::Delivered,
            700.. => Self::Completed,
            _ => Self::Unknown,
        }
    }
}

impl ProductStatus {
    /// Tokopedia's product `status` code: 1 active, 2 featured, 3 in warehouse (off sale), 0 deleted,
    /// -1 pending review, -2 banned.
    pub fn from_tokopedia(code: i32) -> Self {
        match code {
            1 | 2 => Self::Active,
            3 => Self::Inactive,
            0 => Self::Deleted,
            -1 => Self::Pending,
            -2 => Self::Banned,
            _ => Self::Unknown,
        }
    }
}

impl From<&WithRaw<Product>> for CatalogProduct {
    fn from(p: &WithRaw<Product>) -> Self {
        let item = &p.item;
        Self {
            external_id: item.basic.product_id.to_string(),
            name: item.basic.name.clone(),
            sku: item.sku().map(str::to_owned),
            price: item.price.value,
            stock: item.stock_level(),
            warehouse_stock: Vec::new(),
            status: ProductStatus::from_tokopedia(item.basic.status),
            marketplace_status: item.basic.status.to_string(),
            raw: p.raw.clone(),
        }
    }
}

impl From<&WithRaw<Order>> for CatalogOrder {
    fn from(o: &WithRaw<Order>) -> Self {
        let item = &o.item;
        Self {
            external_id: item.order_id.to_string(),
            invoice: item.invoice_ref_num.clone(),
            status: OrderStatus::from_tokopedia(item.order_status),
            marketplace_status: item.order_status.to_string(),
            total: item.amt.ttl_amount,
            created_at: DateTime::<Utc>::from_timestamp(item.create_time, 0).unwrap_or_default(),
            // The order list says when an order was made, not when it last changed.
            updated_at: None,
            warehouse_id: None,
            raw: o.raw.clone(),
        }
    }
}

/// A page of products as the neutral catalog.
pub fn products(page: &[WithRaw<Product>]) -> Vec<CatalogProduct> {
    page.iter().map(CatalogProduct::from).collect()
}

/// A page of orders as the neutral catalog.
pub fn orders(page: &[WithRaw<Order>]) -> Vec<CatalogOrder> {
    page.iter().map(CatalogOrder::from).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pending_and_revenue_keep_their_tokopedia_meaning() {
        // Reports counted codes 220, 221, 400 and 450 as pending, and codes of 100 and more as revenue;
        // the order list only shows orders whose payment was verified (220 onwards) or cancelled ones.
        for code in -20..=1000 {
            let status = OrderStatus::from_tokopedia(code);
            assert_eq!(status.is_pending(), [220, 221, 400, 450].contains(&code), "{code}");
            if !(100..220).contains(&code) {
                assert_eq!(status.counts_as_revenue(), code >= 100, "{code}");
            }
        }
        assert_eq!(OrderStatus::from_tokopedia(100), OrderStatus::Unpaid);
        assert_eq!(OrderStatus::from_tokopedia(700), OrderStatus::Completed);
        assert_eq!(OrderStatus::from_tokopedia(300), OrderStatus::Unknown);
    }

    #[test]
    fn tokopedia_product_statuses() {
        let active: Vec<i32> = (-5..=5)
            .filter(|c| ProductStatus::from_tokopedia(*c) == ProductStatus::Active)
            .collect();
        assert_eq!(active, [1, 2], "reports counted 1 and 2 as active");
        assert_eq!(ProductStatus::from_tokopedia(3), ProductStatus::Inactive);
        assert_eq!(ProductStatus::from_tokopedia(-2), ProductStatus::Banned);
    }

    #[test]
    fn tokopedia_order_becomes_neutral() {
        let raw = json!({
            "fs_id": "13004", "order_id": 987654321012_u64, "invoice_ref_num": "INV/1", "order_status": 450,
            "create_time": 1_700_000_000, "amt": { "ttl_amount": 125000.4, "ttl_product_price": 100000 },
        });
        let order: WithRaw<Order> = serde_json::from_value(raw.clone()).unwrap();
        let neutral = CatalogOrder::from(&order);
        assert_eq!(neutral.external_id, "987654321012");
        assert_eq!(neutral.invoice, "INV/1");
        assert_eq!(neutral.status, OrderStatus::AwaitingCollection);
        assert_eq!(neutral.marketplace_status, "450");
        assert_eq!(neutral.total, 125_000);
        assert_eq!(neutral.created_at.timestamp(), 1_700_000_000);
        assert_eq!((neutral.updated_at, neutral.warehouse_id), (None, None));
        assert_eq!(neutral.raw, raw);
    }

    #[test]
    fn tokopedia_product_becomes_neutral() {
        let raw = json!({
            "basic": { "productID": 42, "shopID": 7, "status": 2, "Name": "Kopi" },
            "price": { "value": 15000.0 }, "main_stock": 9, "other": { "sku": "" },
        });
        let product: WithRaw<Product> = serde_json::from_value(raw.clone()).unwrap();
        let neutral = CatalogProduct::from(&product);
        assert_eq!(neutral.external_id, "42");
        assert_eq!((neutral.name.as_str(), neutral.sku.as_deref()), ("Kopi", None));
        assert_eq!((neutral.price, neutral.stock), (15_000, 9));
        assert_eq!(neutral.status, ProductStatus::Active);
        assert_eq!(neutral.marketplace_status, "2");
        assert!(neutral.warehouse_stock.is_empty());
        assert_eq!(neutral.raw, raw);
    }
}

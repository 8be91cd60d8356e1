//! What a sync brings back, in words every marketplace shares: products and orders with string ids, a
//! neutral status beside the marketplace's own, money in whole rupiah and warehouse ids where the
//! marketplace has them. The sync engine writes these and the reports read them; each marketplace module
//! converts its wire types into them (Tokopedia: `crate::marketplace::catalog`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an order stands, whatever the marketplace. Stored in `marketplace_orders.status` (the CHECK
/// there lists the same words); the marketplace's own status is kept beside it in `marketplace_status`.
///
/// | neutral | Tokopedia codes | TikTok Shop |
/// |---|---|---|
/// | `unpaid` | 100, 103, 200 (and 100–219) | `UNPAID` |
/// | `on_hold` | — | `ON_HOLD` |
/// | `awaiting_shipment` | 220, 221, 400 | `AWAITING_SHIPMENT` |
/// | `partially_shipped` | — | `PARTIALLY_SHIPPING` |
/// | `awaiting_collection` | 450 | `AWAITING_COLLECTION` |
/// | `shipped` | 500–599 (500, 501, 520, 530, 540, 550) | `IN_TRANSIT` |
/// | `delivered` | 600–699 (600, 601, 690–699) | `DELIVERED` |
/// | `completed` | 700 and above (700, 701) | `COMPLETED` |
/// | `cancelled` | below 100 (0, 2, 3, 4, 5, 6, 10, 11, 15) | `CANCELLED` |
/// | `unknown` | any other code from 222 to 499 | any other string |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not paid yet (or payment not verified).
    Unpaid,
    /// Paid, but the marketplace holds it for a while (the buyer may still cancel): not to be shipped yet.
    OnHold,
    /// Paid and to be shipped.
    AwaitingShipment,
    /// Some of its packages are shipped, others still to ship.
    PartiallyShipped,
    /// Packed and handed over to, or waiting for, the carrier's pickup.
    AwaitingCollection,
    /// With the carrier.
    Shipped,
    Delivered,
    /// Finished: the buyer confirmed or the marketplace closed it.
    Completed,
    /// Cancelled or rejected, by anyone.
    Cancelled,
    /// A status this version does not know; `marketplace_status` says what it was.
    Unknown,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        Self::Unpaid,
        Self::OnHold,
        Self::AwaitingShipment,
        Self::PartiallyShipped,
        Self::AwaitingCollection,
        Self::Shipped,
        Self::Delivered,
        Self::Completed,
        Self::Cancelled,
        Self::Unknown,
    ];

    /// Completed and cancelled orders do not change any more (an unknown status might).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::OnHold => "on_hold",
            Self::AwaitingShipment => "awaiting_shipment",
            Self::PartiallyShipped => "partially_shipped",
            Self::AwaitingCollection => "awaiting_collection",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// "Pending" in reports: paid and still (partly) to ship. Orders on hold are not, as they may not be
    /// shipped yet.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Self::AwaitingShipment | Self::PartiallyShipped | Self::AwaitingCollection
        )
    }

    /// Whether the order counts in revenue: everything but unpaid and cancelled orders.
    pub fn counts_as_revenue(self) -> bool {
        !matches!(self, Self::Unpaid | Self::Cancelled)
    }

    /// TikTok Shop's `status` of an order (`UNPAID`, `ON_HOLD`, …, see the table above).
    pub fn from_tiktok_shop(status: &str) -> Self {
        match status {
            "UNPAID" => Self::Unpaid,
            "ON_HOLD" => Self::OnHold,
            "AWAITING_SHIPMENT" => Self::AwaitingShipment,
            "PARTIALLY_SHIPPING" => Self::PartiallyShipped,
            "AWAITING_COLLECTION" => Self::AwaitingCollection,
            "IN_TRANSIT" => Self::Shipped,
            "DELIVERED" => Self::Delivered,
            "COMPLETED" => Self::Completed,
            "CANCELLED" => Self::Cancelled,
            _ => Self::Unknown,
        }
    }
}

/// Whether a product can be bought, whatever the marketplace. Stored in `marketplace_products.status`
/// beside the marketplace's own status.
///
/// | neutral | Tokopedia codes | TikTok Shop |
/// |---|---|---|
/// | `active` | 1 (active), 2 (featured) | `ACTIVATE` |
/// | `inactive` | 3 (in warehouse) | `SELLER_DEACTIVATED` |
/// | `draft` | — | `DRAFT` |
/// | `pending` | -1 (pending review) | `PENDING` |
/// | `rejected` | — | `FAILED` (refused at review) |
/// | `banned` | -2 | `PLATFORM_DEACTIVATED`, `FREEZE` |
/// | `deleted` | 0 | `DELETED` |
/// | `unknown` | any other code | any other string |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// On sale.
    Active,
    /// Taken off sale by the seller.
    Inactive,
    Draft,
    /// Waiting for the marketplace's review.
    Pending,
    /// Refused at review.
    Rejected,
    /// Taken off sale by the marketplace.
    Banned,
    Deleted,
    /// A status this version does not know; `marketplace_status` says what it was.
    Unknown,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 8] = [
        Self::Active,
        Self::Inactive,
        Self::Draft,
        Self::Pending,
        Self::Rejected,
        Self::Banned,
        Self::Deleted,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
            Self::Banned => "banned",
            Self::Deleted => "deleted",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// TikTok Shop's `status` of a product (`ACTIVATE`, `DRAFT`, …, see the table above).
    pub fn from_tiktok_shop(status: &str) -> Self {
        match status {
            "ACTIVATE" => Self::Active,
            "SELLER_DEACTIVATED" => Self::Inactive,
            "DRAFT" => Self::Draft,
            "PENDING" => Self::Pending,
            "FAILED" => Self::Rejected,
            "PLATFORM_DEACTIVATED" | "FREEZE" => Self::Banned,
            "DELETED" => Self::Deleted,
            _ => Self::Unknown,
        }
    }
}

/// How many units of a product one warehouse holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseStock {
    pub warehouse_id: String,
    pub quantity: i64,
}

/// A product as a sync stores it (`marketplace_products`).
#[derive(Debug, Clone)]
pub struct CatalogProduct {
    /// The marketplace's product id.
    pub external_id: String,
    pub name: String,
    pub sku: Option<String>,
    /// Whole rupiah.
    pub price: i64,
    /// Sellable units over all warehouses.
    pub stock: i64,
    /// Units per warehouse, where the marketplace keeps stock per warehouse (empty otherwise).
    pub warehouse_stock: Vec<WarehouseStock>,
    pub status: ProductStatus,
    /// The marketplace's own status, as text (Tokopedia's code, TikTok Shop's word).
    pub marketplace_status: String,
    /// The marketplace's full object.
    pub raw: Value,
}

/// An order as a sync stores it (`marketplace_orders`).
#[derive(Debug, Clone)]
pub struct CatalogOrder {
    /// The marketplace's order id.
    pub external_id: String,
    /// The number seller and buyer quote (Tokopedia's invoice); the order id where there is none.
    pub invoice: String,
    pub status: OrderStatus,
    /// The marketplace's own status, as text (Tokopedia's code, TikTok Shop's word).
    pub marketplace_status: String,
    /// What the buyer pays, in whole rupiah.
    pub total: i64,
    pub created_at: DateTime<Utc>,
    /// When the marketplace last changed the order, where it says.
    pub updated_at: Option<DateTime<Utc>>,
    /// The warehouse that ships it, where the marketplace has warehouses.
    pub warehouse_id: Option<String>,
    /// The marketplace's full object.
    pub raw: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_words() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
        }
        for status in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
        }
        assert_eq!(OrderStatus::parse("UNPAID"), None);
    }

    #[test]
    fn every_tiktok_shop_order_status_has_its_own_neutral_status() {
        let documented = [
            ("UNPAID", OrderStatus::Unpaid),
            ("ON_HOLD", OrderStatus::OnHold),
            ("AWAITING_SHIPMENT", OrderStatus::AwaitingShipment),
            ("PARTIALLY_SHIPPING", OrderStatus::PartiallyShipped),
            ("AWAITING_COLLECTION", OrderStatus::AwaitingCollection),
            ("IN_TRANSIT", OrderStatus::Shipped),
            ("DELIVERED", OrderStatus::Delivered),
            ("COMPLETED", OrderStatus::Completed),
            ("CANCELLED", OrderStatus::Cancelled),
        ];
        for (word, status) in documented {
            assert_eq!(OrderStatus::from_tiktok_shop(word), status, "{word}");
        }
        assert_eq!(OrderStatus::from_tiktok_shop("awaiting_shipment"), OrderStatus::Unknown);
        assert_eq!(OrderStatus::from_tiktok_shop("RETURNED"), OrderStatus::Unknown);
        let pending: Vec<_> = documented
            .iter()
            .filter(|(_, s)| s.is_pending())
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(
            pending,
            ["AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"]
        );
        let no_revenue: Vec<_> = documented
            .iter()
            .filter(|(_, s)| !s.counts_as_revenue())
            .map(|(w, _)| *w)
            .collect();
        assert_eq!(no_revenue, ["UNPAID", "CANCELLED"]);
    }

    #[test]
    fn tiktok_shop_product_statuses() {
        for (word, status) in [
            ("ACTIVATE", ProductStatus::Active),
            ("SELLER_DEACTIVATED", ProductStatus::Inactive),
            ("DRAFT", ProductStatus::Draft),
            ("PENDING", ProductStatus::Pending),
            ("FAILED", ProductStatus::Rejected),
            ("PLATFORM_DEACTIVATED", ProductStatus::Banned),
            ("FREEZE", ProductStatus::Banned),
            ("DELETED", ProductStatus::Deleted),
            ("ALL", ProductStatus::Unknown),
        ] {
            assert_eq!(ProductStatus::from_tiktok_shop(word), status, "{word}");
        }
    }
}

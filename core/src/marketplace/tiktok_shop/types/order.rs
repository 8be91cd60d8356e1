//! Orders: `POST /order/202309/orders/search` (a page) and `GET /order/202309/orders?ids=` (details).
//! Both answer the same order object. Times are unix seconds.

use serde::Deserialize;

use super::{money, next_token, optional_money};
use crate::marketplace::types::WithRaw;

/// One page of the order search.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderPage {
    #[serde(default)]
    pub orders: Vec<WithRaw<Order>>,
    /// Orders matching the filter across all pages.
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

impl OrderPage {
    /// The cursor of the next page, `None` on the last page.
    pub fn next_cursor(&self) -> Option<&str> {
        next_token(&self.next_page_token)
    }
}

/// The order detail answer.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderDetails {
    #[serde(default)]
    pub orders: Vec<WithRaw<Order>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    pub create_time: i64,
    /// Moves on every status change; the incremental sync searches by it.
    pub update_time: i64,
    #[serde(default)]
    pub paid_time: Option<i64>,
    pub payment: OrderPayment,
    /// The answer has no quantity field: an order of two units of one SKU lists two line items.
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub packages: Vec<PackageRef>,
    #[serde(default)]
    pub warehouse_id: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub shipping_provider: Option<String>,
    #[serde(default)]
    pub buyer_message: Option<String>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    #[serde(default)]
    pub is_cod: Option<bool>,
}

/// Order totals, in whole units of `currency`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderPayment {
    pub currency: String,
    /// What the buyer pays.
    #[serde(deserialize_with = "money")]
    pub total_amount: i64,
    #[serde(default, deserialize_with = "optional_money")]
    pub sub_total: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub shipping_fee: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub seller_discount: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub platform_discount: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub original_total_product_price: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub original_shipping_fee: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub tax: Option<i64>,
}

/// One unit of one SKU in an order.
#[derive(Debug, Clone, Deserialize)]
pub struct LineItem {
    pub id: String,
    pub sku_id: String,
    pub product_id: String,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub seller_sku: Option<String>,
    #[serde(default)]
    pub sku_name: Option<String>,
    pub currency: String,
    #[serde(deserialize_with = "money")]
    pub sale_price: i64,
    #[serde(default, deserialize_with = "optional_money")]
    pub original_price: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub seller_discount: Option<i64>,
    #[serde(default, deserialize_with = "optional_money")]
    pub platform_discount: Option<i64>,
    #[serde(default)]
    pub display_status: Option<String>,
    #[serde(default)]
    pub package_id: Option<String>,
    #[serde(default)]
    pub is_gift: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PackageRef {
    pub id: String,
}

/// The documented order statuses; a status added later is kept as text instead of failing the decode.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum OrderStatus {
    Unpaid,
    OnHold,
    AwaitingShipment,
    PartiallyShipping,
    AwaitingCollection,
    InTransit,
    Delivered,
    Completed,
    Cancelled,
    Other(String),
}

impl OrderStatus {
    /// The status as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unpaid => "UNPAID",
            Self::OnHold => "ON_HOLD",
            Self::AwaitingShipment => "AWAITING_SHIPMENT",
            Self::PartiallyShipping => "PARTIALLY_SHIPPING",
            Self::AwaitingCollection => "AWAITING_COLLECTION",
            Self::InTransit => "IN_TRANSIT",
            Self::Delivered => "DELIVERED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Other(text) => text,
        }
    }
}

impl From<String> for OrderStatus {
    fn from(text: String) -> Self {
        match text.as_str() {
            "UNPAID" => Self::Unpaid,
            "ON_HOLD" => Self::OnHold,
            "AWAITING_SHIPMENT" => Self::AwaitingShipment,
            "PARTIALLY_SHIPPING" => Self::PartiallyShipping,
            "AWAITING_COLLECTION" => Self::AwaitingCollection,
            "IN_TRANSIT" => Self::InTransit,
            "DELIVERED" => Self::Delivered,
            "COMPLETED" => Self::Completed,
            "CANCELLED" => Self::Cancelled,
            _ => Self::Other(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_json(status: &str, total: &str) -> String {
        format!(
            r#"{{"id":"1","status":{status},"create_time":1,"update_time":2,
            "payment":{{"currency":"IDR","total_amount":{total}}},
            "line_items":[{{"id":"9","sku_id":"8","product_id":"7","currency":"IDR","sale_price":"15000.50"}}]}}"#
        )
    }

    #[test]
    fn an_order_reads_statuses_and_money() {
        let order: Order = serde_json::from_str(&order_json(r#""AWAITING_SHIPMENT""#, r#""15000.50""#)).unwrap();
        assert_eq!(order.status, OrderStatus::AwaitingShipment);
        assert_eq!(order.payment.total_amount, 15001);
        assert_eq!(order.line_items[0].sale_price, 15001);
        let later: Order = serde_json::from_str(&order_json(r#""RETURNED""#, r#""1""#)).unwrap();
        assert_eq!(later.status.as_str(), "RETURNED");
    }

    #[test]
    fn wrong_types_fail_the_decode() {
        assert!(serde_json::from_str::<Order>(&order_json("3", r#""1""#)).is_err());
        assert!(serde_json::from_str::<Order>(&order_json(r#""UNPAID""#, "1")).is_err());
        assert!(serde_json::from_str::<OrderPage>(r#"{"orders":[],"total_count":"3"}"#).is_err());
    }

    #[test]
    fn an_empty_cursor_is_the_last_page() {
        let page: OrderPage = serde_json::from_str(r#"{"orders":[],"total_count":0,"next_page_token":""}"#).unwrap();
        assert_eq!(page.next_cursor(), None);
    }
}

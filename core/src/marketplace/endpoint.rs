//! The marketplace endpoints the client calls, named as its rate limits are.

/// Marketplace endpoints, named as the marketplace's rate limits are: one bucket per (app, endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    ShopInfo,
    ProductInfo,
    StockUpdate,
    OrderList,
    ShipmentInfo,
}

impl Endpoint {
    pub const ALL: [Endpoint; 5] = [
        Self::ShopInfo,
        Self::ProductInfo,
        Self::StockUpdate,
        Self::OrderList,
        Self::ShipmentInfo,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShopInfo => "shop-info",
            Self::ProductInfo => "product-info",
            Self::StockUpdate => "stock-update",
            Self::OrderList => "order-list",
            Self::ShipmentInfo => "shipment-info",
        }
    }
}

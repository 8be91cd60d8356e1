//! The API host's endpoints, as the hidden rate limit and the counters name them.

use serde::{Deserialize, Serialize};

/// A rate-limited endpoint of the API host. The auth host is not limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `GET /authorization/202309/shops`
    AuthorizedShops,
    /// `POST /product/{202502,202309}/products/search`
    ProductSearch,
    /// `GET /product/202309/products/{product_id}`
    ProductDetail,
    /// `POST /product/202309/inventory/search`
    InventorySearch,
    /// `POST /product/202309/products/{product_id}/inventory/update`
    InventoryUpdate,
    /// `POST /order/202309/orders/search`
    OrderSearch,
    /// `GET /order/{202309,202507}/orders`
    OrderDetail,
    /// `GET /logistics/202309/warehouses`
    Warehouses,
    /// `GET`, `PUT` and `DELETE /event/202309/webhooks`
    Webhooks,
}

impl Endpoint {
    /// Every limited endpoint.
    pub const ALL: [Endpoint; 9] = [
        Endpoint::AuthorizedShops,
        Endpoint::ProductSearch,
        Endpoint::ProductDetail,
        Endpoint::InventorySearch,
        Endpoint::InventoryUpdate,
        Endpoint::OrderSearch,
        Endpoint::OrderDetail,
        Endpoint::Warehouses,
        Endpoint::Webhooks,
    ];

    /// Name used in configs, counters and `/sim/tiktok-shop/rate-limit`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::AuthorizedShops => "authorized-shops",
            Endpoint::ProductSearch => "product-search",
            Endpoint::ProductDetail => "product-detail",
            Endpoint::InventorySearch => "inventory-search",
            Endpoint::InventoryUpdate => "inventory-update",
            Endpoint::OrderSearch => "order-search",
            Endpoint::OrderDetail => "order-detail",
            Endpoint::Warehouses => "warehouses",
            Endpoint::Webhooks => "webhooks",
        }
    }

    /// Inverse of [`Endpoint::name`].
    pub fn from_name(name: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

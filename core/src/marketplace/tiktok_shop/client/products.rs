//! Products and their stock: cursor-paged search, one product's detail, the shop's warehouses, and the
//! per-warehouse inventory read and write.

use super::{ApiCall, ApiEndpoint, ShopAuthorization, TikTokShopClient, collect_pages, plain_id};
use crate::marketplace::tiktok_shop::envelope::decode_write;
use crate::marketplace::tiktok_shop::error::TikTokShopError;
use crate::marketplace::tiktok_shop::types::{
    InventoryLevels, InventoryUpdate, Product, ProductFilter, ProductInventory, ProductPage, SkuInventory, Warehouse,
    Warehouses, WriteResult,
};
use crate::marketplace::types::WithRaw;

pub(super) const PRODUCT_SEARCH: &str = "/product/202502/products/search";
pub(super) const INVENTORY_SEARCH: &str = "/product/202309/inventory/search";
pub(super) const WAREHOUSES: &str = "/logistics/202309/warehouses";

/// The inventory search body: the products whose stock to read.
#[derive(serde::Serialize)]
struct InventoryLookup<'a> {
    product_ids: &'a [String],
}

impl TikTokShopClient {
    /// One page of the shop's products matching `filter`; `cursor` is the previous page's
    /// [`ProductPage::next_cursor`], `None` for the first page. The search stops at 10,000 results:
    /// narrow `filter` by `update_time` to reach further.
    pub async fn products_page(
        &self,
        shop: &ShopAuthorization,
        filter: &ProductFilter,
        cursor: Option<&str>,
    ) -> Result<ProductPage, TikTokShopError> {
        self.shop_call(&product_search(filter, cursor)?, shop).await
    }

    /// Every product matching `filter`, page after page.
    pub async fn all_products(
        &self,
        shop: &ShopAuthorization,
        filter: &ProductFilter,
    ) -> Result<Vec<WithRaw<Product>>, TikTokShopError> {
        collect_pages(|cursor| async move { self.products_page(shop, filter, cursor.as_deref()).await }).await
    }

    /// One product with its SKUs, prices and per-warehouse stock.
    pub async fn product(&self, shop: &ShopAuthorization, product_id: &str) -> Result<Product, TikTokShopError> {
        let call = ApiCall::get(
            ApiEndpoint::ProductDetail,
            format!("/product/202309/products/{}", plain_id(product_id)?),
        );
        self.shop_call(&call, shop).await
    }

    /// The shop's warehouses; stock is read and written per warehouse.
    pub async fn warehouses(&self, shop: &ShopAuthorization) -> Result<Vec<Warehouse>, TikTokShopError> {
        let warehouses: Warehouses = self
            .shop_call(&ApiCall::get(ApiEndpoint::Warehouses, WAREHOUSES), shop)
            .await?;
        Ok(warehouses.warehouses)
    }

    /// The stock of the products' SKUs, per warehouse.
    pub async fn inventory(
        &self,
        shop: &ShopAuthorization,
        product_ids: &[String],
    ) -> Result<Vec<ProductInventory>, TikTokShopError> {
        let levels: InventoryLevels = self.shop_call(&inventory_search(product_ids)?, shop).await?;
        Ok(levels.inventory)
    }

    /// Sets the stock of a product's SKUs, per warehouse, to absolute values. The call succeeds as a whole
    /// while single SKUs or warehouses can be refused: check [`WriteResult::errors`].
    pub async fn update_inventory(
        &self,
        shop: &ShopAuthorization,
        product_id: &str,
        skus: &[SkuInventory],
    ) -> Result<WriteResult, TikTokShopError> {
        let call = inventory_update(product_id, skus)?;
        self.call(&call, &shop.access_token, Some(&shop.shop_cipher), decode_write)
            .await
    }
}

fn product_search(filter: &ProductFilter, cursor: Option<&str>) -> Result<ApiCall, TikTokShopError> {
    Ok(ApiCall::post_json(ApiEndpoint::ProductSearch, PRODUCT_SEARCH, filter)?.paged(cursor))
}

pub(super) fn inventory_search(product_ids: &[String]) -> Result<ApiCall, TikTokShopError> {
    if product_ids.is_empty() {
        return Err(TikTokShopError::InvalidRequest(
            "an inventory search needs product ids".into(),
        ));
    }
    for id in product_ids {
        plain_id(id)?;
    }
    ApiCall::post_json(
        ApiEndpoint::InventorySearch,
        INVENTORY_SEARCH,
        &InventoryLookup { product_ids },
    )
}

pub(super) fn inventory_update(product_id: &str, skus: &[SkuInventory]) -> Result<ApiCall, TikTokShopError> {
    if skus
        .iter()
        .flat_map(|sku| &sku.inventory)
        .any(|stock| stock.quantity < 0)
    {
        return Err(TikTokShopError::InvalidRequest("stock cannot be negative".into()));
    }
    for sku in skus {
        plain_id(&sku.id)?;
    }
    let path = format!("/product/202309/products/{}/inventory/update", plain_id(product_id)?);
    ApiCall::post_json(ApiEndpoint::InventoryUpdate, path, &InventoryUpdate { skus })
}

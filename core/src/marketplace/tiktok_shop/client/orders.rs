//! Orders: the incremental search by update time and the detail of known orders.
//!
//! The sync searches by `update_time`, not `create_time`, so status changes of old orders are seen too.
//! Windows are half-open, `[update_time_ge, update_time_lt)`: consecutive windows neither overlap nor
//! leave a gap.

use serde::Serialize;

use super::{ApiCall, ApiEndpoint, ShopAuthorization, TikTokShopClient, collect_pages, plain_id};
use crate::marketplace::tiktok_shop::error::TikTokShopError;
use crate::marketplace::tiktok_shop::types::{Order, OrderDetails, OrderPage};
use crate::marketplace::types::WithRaw;

pub(super) const ORDER_SEARCH: &str = "/order/202309/orders/search";
pub(super) const ORDER_DETAIL: &str = "/order/202309/orders";

#[derive(Serialize)]
struct OrderSearch {
    update_time_ge: i64,
    update_time_lt: i64,
}

impl TikTokShopClient {
    /// One page of the orders updated in `[from, to)` (unix seconds), oldest update first; `cursor` is
    /// the previous page's [`OrderPage::next_cursor`], `None` for the first page.
    pub async fn orders_page(
        &self,
        shop: &ShopAuthorization,
        (from, to): (i64, i64),
        cursor: Option<&str>,
    ) -> Result<OrderPage, TikTokShopError> {
        self.shop_call(&order_search((from, to), cursor)?, shop).await
    }

    /// Every order updated in `[from, to)`, page after page.
    pub async fn orders_updated(
        &self,
        shop: &ShopAuthorization,
        window: (i64, i64),
    ) -> Result<Vec<WithRaw<Order>>, TikTokShopError> {
        collect_pages(|cursor| async move { self.orders_page(shop, window, cursor.as_deref()).await }).await
    }

    /// The orders `ids`, asked for in batches of the configured size (at most 50 ids per request is the
    /// reported limit).
    pub async fn order_details(
        &self,
        shop: &ShopAuthorization,
        ids: &[String],
    ) -> Result<Vec<WithRaw<Order>>, TikTokShopError> {
        let mut orders = Vec::with_capacity(ids.len());
        for call in order_detail_calls(ids, self.order_detail_batch)? {
            let details: OrderDetails = self.shop_call(&call, shop).await?;
            orders.extend(details.orders);
        }
        Ok(orders)
    }
}

pub(super) fn order_search((from, to): (i64, i64), cursor: Option<&str>) -> Result<ApiCall, TikTokShopError> {
    let body = OrderSearch {
        update_time_ge: from,
        update_time_lt: to,
    };
    Ok(ApiCall::post_json(ApiEndpoint::OrderSearch, ORDER_SEARCH, &body)?
        .with("sort_field", "update_time")
        // The API sorts newest first unless told otherwise.
        .with("sort_order", "ASC")
        .paged(cursor))
}

pub(super) fn order_detail_calls(ids: &[String], batch: usize) -> Result<Vec<ApiCall>, TikTokShopError> {
    for id in ids {
        plain_id(id)?;
    }
    Ok(ids
        .chunks(batch.max(1))
        .map(|batch| ApiCall::get(ApiEndpoint::OrderDetail, ORDER_DETAIL).with("ids", batch.join(",")))
        .collect())
}

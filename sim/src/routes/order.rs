//! `GET /v2/order/list` (paged, windowed) and `GET /v2/fs/{fs_id}/order`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::order_json::list_item;
use super::path_fs_id;
use super::single_order::single_order;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Call, Success};
use crate::orders::Order;
use crate::params::Params;
use crate::ratelimit::Endpoint;

/// The order list window must be shorter than this (3 days, in seconds).
const MAX_WINDOW: i64 = 3 * 86_400;
const MAX_PER_PAGE: u64 = 100;

pub(crate) async fn list(State(sim): State<Sim>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::OrderList));
    let result = run_list(&mut call, &Params::parse(query.as_deref()), &headers).await;
    call.finish(result)
}

pub(crate) async fn single(
    State(sim): State<Sim>,
    Path(fs_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::SingleOrder));
    let params = Params::parse(query.as_deref());
    let result = run_single(&mut call, &fs_id, &params, &headers).await;
    call.finish(result)
}

fn bad(code: &'static str, reason: &'static str) -> impl FnOnce() -> ApiError {
    move || ApiError::bad_request(code, reason)
}

/// A required numeric parameter.
fn required<T: std::str::FromStr>(
    params: &Params,
    key: &str,
    code: &'static str,
    invalid: &'static str,
    empty: &'static str,
) -> Result<T, ApiError> {
    params.num(key, bad(code, invalid))?.ok_or_else(bad(code, empty))
}

async fn run_list(call: &mut Call, params: &Params, headers: &HeaderMap) -> ApiResult {
    let requested = required::<u64>(
        params,
        "fs_id",
        "ORD_DLV_001",
        "invalid fs_id format",
        "fs_id cannot be empty",
    );
    let fs_id = call.authorize(headers, requested)?;
    call.admit()?;
    let from: i64 = required(
        params,
        "from_date",
        "ORD_DLV_002",
        "invalid from_date format",
        "from_date cannot be empty",
    )?;
    let to: i64 = required(
        params,
        "to_date",
        "ORD_DLV_003",
        "invalid to_date format",
        "to_date cannot be empty",
    )?;
    let page: u64 = required(
        params,
        "page",
        "ORD_DLV_004",
        "invalid page format",
        "page cannot be empty",
    )?;
    let per_page: u64 = required(
        params,
        "per_page",
        "ORD_DLV_005",
        "invalid per_page format",
        "per_page cannot be empty",
    )?;
    let shop_id = params.num::<u64>("shop_id", bad("ORD_DLV_006", "invalid shop_id format"))?;
    let warehouse_id = params.num::<u64>("warehouse_id", bad("ORD_DLV_007", "invalid warehouse_id format"))?;
    let status = params.num::<u32>("status", bad("ORD_DLV_009", "invalid status format"))?;
    if page < 1 {
        return Err(bad("ORD_DLV_004", "page must be at least 1")());
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(bad("ORD_DLV_005", "per_page must be between 1 and 100")());
    }
    if shop_id.is_some() && warehouse_id.is_some() {
        return Err(bad("ORD_DLV_008", "shop_id and warehouse_id cannot be used together")());
    }
    if from > to {
        return Err(bad("ORD_DLV_012", "from_date must be earlier than to_date")());
    }
    if to.saturating_sub(from) >= MAX_WINDOW {
        return Err(bad("ORD_DLV_013", "Date Range must be less than 3 days")());
    }
    let filter_shop =
        match warehouse_id {
            Some(w) => {
                let shop = call.sim().lock().registry.shop_of_warehouse(fs_id, w);
                Some(shop.ok_or_else(|| {
                    ApiError::forbidden(format!("fs_id {fs_id} is not associated with warehouse_id {w}"))
                })?)
            }
            None => shop_id,
        };
    let target = call.target_shop(fs_id, filter_shop)?;
    call.enter(target).await?;

    let sim = call.sim().clone();
    let state = sim.lock();
    let mut orders: Vec<&Order> = state
        .registry
        .shops_of(fs_id)
        .into_iter()
        .filter(|s| filter_shop.is_none_or(|id| s.shop_id() == id))
        .flat_map(|s| s.orders.iter())
        .filter(|o| (from..=to).contains(&o.create_time))
        .filter(|o| status.is_none_or(|st| o.order_status == st))
        .collect();
    orders.sort_by_key(|o| (o.create_time, o.order_id));
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items: Vec<Value> = orders
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|o| list_item(o, fs_id))
        .collect();
    Ok(Success::data(Success::page(&sim, items)))
}

async fn run_single(call: &mut Call, fs_id: &str, params: &Params, headers: &HeaderMap) -> ApiResult {
    let fs_id = call.authorize(headers, path_fs_id(fs_id))?;
    call.admit()?;
    let order_id = params.num::<u64>("order_id", bad("ORD_DLV_010", "invalid order_id format"))?;
    let invoice = params.get("invoice_num");
    if order_id.is_some() == invoice.is_some() {
        return Err(bad("ORD_DLV_011", "fill exactly one of order_id or invoice_num")());
    }
    let found = {
        let state = call.sim().lock();
        state.registry.shops_of(fs_id).into_iter().find_map(|shop| {
            let order = shop
                .orders
                .iter()
                .find(|o| order_id == Some(o.order_id) || invoice == Some(o.invoice_ref_num.as_str()))?;
            Some((shop.shop_id(), single_order(order, shop)))
        })
    };
    let (shop_id, data) = found.ok_or_else(ApiError::data_not_found)?;
    call.enter(Some(shop_id)).await?;
    Ok(Success::data(data))
}

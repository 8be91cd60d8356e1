//! `GET /v1/shop/fs/{fs_id}/shop-info`: the shops linked to the app.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::path_fs_id;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Call, Success};
use crate::params::Params;
use crate::ratelimit::Endpoint;
use crate::registry::Shop;

/// Shop-info's own success message (with `reason: ""`, `error_code: 0`).
const MESSAGES: &str = "Successfully get retrieved shop info data";

pub(crate) async fn shop_info(
    State(sim): State<Sim>,
    Path(fs_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::ShopInfo));
    let params = Params::parse(query.as_deref());
    let result = run(&mut call, &fs_id, &params, &headers).await;
    call.finish(result)
}

async fn run(call: &mut Call, fs_id: &str, params: &Params, headers: &HeaderMap) -> ApiResult {
    let fs_id = call.authorize(headers, path_fs_id(fs_id))?;
    call.admit()?;
    let invalid = |what: &str| {
        let reason = format!("invalid {what}");
        move || ApiError::bad_request("SHP_DLV_002", reason)
    };
    let shop_id = params.num::<u64>("shop_id", invalid("shop_id"))?;
    // The docs call page/per_page required but their own example omits
    // them, so both are optional: no per_page means "all".
    let page = params.num::<usize>("page", invalid("page"))?.unwrap_or(1);
    let per_page = params.num::<usize>("per_page", invalid("per_page"))?;
    if page == 0 || per_page == Some(0) {
        return Err(ApiError::bad_request(
            "SHP_DLV_002",
            "page and per_page must be positive",
        ));
    }
    let target = call.target_shop(fs_id, shop_id)?;
    call.enter(target).await?;

    let sim = call.sim().clone();
    let state = sim.lock();
    let shops: Vec<&Shop> = state.registry.shops_matching(fs_id, shop_id);
    let items: Vec<Value> = match per_page {
        Some(n) => shops
            .into_iter()
            .skip((page - 1).saturating_mul(n))
            .take(n)
            .map(shop_json)
            .collect(),
        None if page == 1 => shops.into_iter().map(shop_json).collect(),
        None => Vec::new(),
    };
    Ok(Success::with_coded_header(Success::page(&sim, items), MESSAGES))
}

fn shop_json(shop: &Shop) -> Value {
    let id = shop.shop_id();
    json!({
        "shop_id": id,
        "user_id": shop.user_id,
        "shop_name": shop.config.name,
        "logo": format!("https://images.tokopedia.net/img/cache/215-square/shops-1/2019/9/24/{id}/{id}_logo.jpg"),
        "shop_url": format!("https://www.tokopedia.com/{}", shop.domain),
        "is_open": 1,
        "status": 1,
        "date_shop_created": shop.created,
        "domain": shop.domain,
        "admin_id": [shop.user_id],
        "reason": "",
        "district_id": shop.area.district_id,
        "province_name": shop.area.province,
        "warehouses": [warehouse_json(shop)],
        "subscribe_tokocabang": false,
        "is_mitra": false,
    })
}

/// The shop's warehouse, in the shape of single-order `meta_data`.
pub(crate) fn warehouse_json(shop: &Shop) -> Value {
    let area = shop.area;
    let (lat, lon) = area.geo.split_once(',').unwrap_or(("", ""));
    json!({
        "warehouse_id": shop.warehouse_id,
        "partner_id": 0,
        "shop_id": shop.shop_id(),
        "warehouse_name": format!("Gudang {}", shop.config.name),
        "district_id": area.district_id,
        "district_name": area.district,
        "city_id": area.city_id,
        "city_name": area.city,
        "province_id": area.province_id,
        "province_name": area.province,
        "status": 1,
        "postal_code": area.postal_code,
        "is_default": 1,
        "latlon": area.geo,
        "latitude": lat,
        "longitude": lon,
        "email": "",
        "address_detail": format!("Jl. Gudang Raya No. 1, {}", area.district),
        "country_name": "Indonesia",
        "is_fulfillment": false,
    })
}

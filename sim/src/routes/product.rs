//! `GET /inventory/v1/fs/{fs_id}/product/info`: products by id / SKU / URL,
//! or a shop's catalog page by page.

use std::cmp::Ordering;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::path_fs_id;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Call, Success};
use crate::catalog::Product;
use crate::params::Params;
use crate::ratelimit::Endpoint;
use crate::registry::Shop;

/// Largest `per_page` the shop listing accepts.
const MAX_PER_PAGE: usize = 50;

pub(crate) async fn product_info(
    State(sim): State<Sim>,
    Path(fs_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::ProductInfo));
    let params = Params::parse(query.as_deref());
    let result = run(&mut call, &fs_id, &params, &headers).await;
    call.finish(result)
}

/// What the query asks for.
enum Query<'a> {
    /// Specific products (any of the listed ids, SKUs or URLs).
    Lookup {
        ids: Vec<u64>,
        skus: Vec<&'a str>,
        urls: Vec<&'a str>,
    },
    /// One page of the shop's catalog.
    Page { page: usize, per_page: usize, sort: u8 },
}

async fn run(call: &mut Call, fs_id: &str, params: &Params, headers: &HeaderMap) -> ApiResult {
    let fs_id = call.authorize(headers, path_fs_id(fs_id))?;
    call.admit()?;
    let shop_id = params.num::<u64>("shop_id", || ApiError::bad_request("PRD_DLV_001", "invalid shop_id"))?;
    let query = parse_query(params, shop_id.is_some())?;
    let target = call.target_shop(fs_id, shop_id)?;
    call.enter(target).await?;

    let sim = call.sim().clone();
    let state = sim.lock();
    let shops: Vec<&Shop> = state.registry.shops_matching(fs_id, shop_id);
    let items = match query {
        Query::Lookup { ids, skus, urls } => {
            // Results follow the order of the request, without duplicates.
            let by_id = ids
                .iter()
                .map(|&id| shops.iter().find_map(|s| s.product(id).map(|p| (*s, p))));
            let by_sku = skus
                .iter()
                .map(|sku| shops.iter().find_map(|s| s.product_by_sku(sku).map(|p| (*s, p))));
            let by_url = urls.iter().map(|url| {
                let url = url.trim_end_matches('/');
                shops.iter().find_map(|s| {
                    let p = s.products.iter().find(|p| p.url == url || mobile_url(&p.url) == url)?;
                    Some((*s, p))
                })
            });
            let mut found: Vec<(&Shop, &Product)> = Vec::new();
            for (shop, p) in by_id.chain(by_sku).chain(by_url).flatten() {
                if !found.iter().any(|(_, f)| f.product_id == p.product_id) {
                    found.push((shop, p));
                }
            }
            found
                .into_iter()
                .map(|(shop, p)| product_json(p, shop.warehouse_id))
                .collect()
        }
        Query::Page { page, per_page, sort } => {
            let Some(shop) = shops.first() else {
                return Ok(Success::data(Success::page(&sim, Vec::new())));
            };
            let mut products: Vec<&Product> = shop.products.iter().collect();
            products.sort_by(|a, b| compare(sort, a, b).then(a.product_id.cmp(&b.product_id)));
            products
                .into_iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .map(|p| product_json(p, shop.warehouse_id))
                .collect()
        }
    };
    Ok(Success::data(Success::page(&sim, items)))
}

fn parse_query(params: &Params, has_shop: bool) -> Result<Query<'_>, ApiError> {
    let ids = params
        .all("product_id")
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad_request("PRD_DLV_003", "invalid product_id"))?;
    let skus = params.all("sku");
    let urls = params.all("product_url");
    if !ids.is_empty() || !skus.is_empty() || !urls.is_empty() {
        return Ok(Query::Lookup { ids, skus, urls });
    }
    if !has_shop {
        return Err(ApiError::bad_request(
            "PRD_DLV_002",
            "product_id, product_url, sku or shop_id must be filled",
        ));
    }
    let invalid = |what: &str| {
        let reason = format!("invalid {what}");
        move || ApiError::bad_request("PRD_DLV_007", reason)
    };
    // Like the Go original, 0 counts as empty.
    let page = match params.num::<usize>("page", invalid("page"))? {
        None | Some(0) => {
            return Err(ApiError::bad_request(
                "PRD_DLV_005",
                "page cannot be empty when shop_id is filled",
            ));
        }
        Some(page) => page,
    };
    let per_page = match params.num::<i64>("per_page", invalid("per_page"))? {
        None => {
            return Err(ApiError::bad_request(
                "PRD_DLV_006",
                "per_page cannot be empty when shop_id is filled",
            ));
        }
        Some(n) if n < 1 || n > MAX_PER_PAGE as i64 => {
            return Err(ApiError::bad_request(
                "PRD_DLV_008",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        Some(n) => n as usize,
    };
    let sort = params.num::<u8>("sort", invalid("sort"))?.unwrap_or(1);
    if !(1..=10).contains(&sort) {
        return Err(ApiError::bad_request("PRD_DLV_009", "sort must be between 1 and 10"));
    }
    Ok(Query::Page { page, per_page, sort })
}

/// Tokopedia's sort options: 1 default, 2 last update, 3/4 most/least sold,
/// 5/6 highest/lowest price, 7/8 name A-Z/Z-A, 9/10 fewest/most stock.
fn compare(sort: u8, a: &Product, b: &Product) -> Ordering {
    match sort {
        2 => b.price_updated_unix.cmp(&a.price_updated_unix),
        3 => b.count_sold.cmp(&a.count_sold),
        4 => a.count_sold.cmp(&b.count_sold),
        5 => b.price.cmp(&a.price),
        6 => a.price.cmp(&b.price),
        7 => a.name.cmp(&b.name),
        8 => b.name.cmp(&a.name),
        9 => a.stock.cmp(&b.stock),
        10 => b.stock.cmp(&a.stock),
        _ => Ordering::Equal,
    }
}

fn mobile_url(url: &str) -> String {
    url.replacen("https://www.", "https://m.", 1)
}

/// Product info in Tokopedia's shape (see product_get-product-info-ok-1.json).
fn product_json(p: &Product, warehouse_id: u64) -> Value {
    let name_key = if p.capitalized_name_key { "Name" } else { "name" };
    let mut basic = json!({
        "productID": p.product_id,
        "shopID": p.shop_id,
        "status": p.status,
        "condition": p.condition,
        "childCategoryID": p.categories.last().map_or(0, |c| c.id),
        "shortDesc": p.short_desc,
    });
    basic[name_key] = json!(p.name);
    let price = json!({"value": p.price, "currency": 1, "LastUpdateUnix": p.price_updated_unix, "idr": p.price});
    let stock_wording = match p.stock {
        0 => "<b>Stok habis</b>",
        1..20 => "<b>Stok hampir habis!</b> Tersisa &lt;20",
        _ => "Stok tersedia",
    };
    let img = |size: &str, pic: &crate::catalog::Picture| {
        format!(
            "https://images.tokopedia.net/img/cache/{size}/{}/{}",
            pic.file_path, pic.file_name
        )
    };
    let pictures: Vec<Value> = p
        .pictures
        .iter()
        .enumerate()
        .map(|(i, pic)| {
            json!({
                "picID": pic.pic_id,
                "fileName": pic.file_name,
                "filePath": pic.file_path,
                "status": if i == 0 { 2 } else { 1 },
                "OriginalURL": img("700", pic),
                "ThumbnailURL": img("200-square", pic),
                "width": 700,
                "height": 700,
                "URL300": img("300", pic),
            })
        })
        .collect();
    let category_tree: Vec<Value> = p
        .categories
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "title": c.name,
                "breadcrumbURL": format!("https://www.tokopedia.com/p/{}", c.path),
            })
        })
        .collect();
    json!({
        "basic": basic,
        "price": price,
        "weight": {"value": p.weight_grams, "unit": 1},
        "stock": {"value": p.stock, "stockWording": stock_wording},
        "main_stock": p.stock.saturating_sub(p.reserve_stock),
        "reserve_stock": p.reserve_stock,
        "variant": {"isParent": false, "isVariant": false, "childrenID": []},
        "menu": {"id": p.menu.0, "name": p.menu.1},
        "preorder": {},
        "extraAttribute": {
            "minOrder": 1,
            "lastUpdateCategory": p.category_updated_unix,
            "isEligibleCOD": p.cod_eligible,
        },
        "categoryTree": category_tree,
        "pictures": pictures,
        "GMStats": {
            "transactionSuccess": p.count_sold,
            "transactionReject": p.transaction_reject,
            "countSold": p.count_sold,
        },
        "stats": {"countView": p.count_view},
        "other": {"sku": p.sku, "url": p.url, "mobileURL": mobile_url(&p.url)},
        "campaign": {"StartDate": "0001-01-01T00:00:00Z", "EndDate": "0001-01-01T00:00:00Z"},
        "warehouses": [{
            "productID": p.product_id,
            "warehouseID": warehouse_id,
            "price": price,
            "stock": {"useStock": true, "value": p.stock},
        }],
    })
}

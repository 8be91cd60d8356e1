//! `POST /product/{202502,202309}/products/search` (cursor paged, by product
//! id) and `GET /product/202309/products/{product_id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::product_json::{detail as detail_json, search_item, status};
use super::{json_body, parse_id, serve, shop};
use crate::Sim;
use crate::tiktok_shop::endpoint::Endpoint;
use crate::tiktok_shop::envelope::TtsError;
use crate::tiktok_shop::gateway::{Caller, Scope, SignedRequest};
use crate::tiktok_shop::ids;
use crate::tiktok_shop::paging::{self, PageRequest};

/// Tag of product cursors (see [`paging::Cursor::order`]).
const BY_ID: u8 = 0;
/// At most this many `seller_skus` in one search.
const MAX_SELLER_SKUS: usize = 10;

const STATUSES: [&str; 9] = [
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
];

/// The search body; every filter is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Filter {
    status: Option<String>,
    seller_skus: Option<Vec<String>>,
    create_time_ge: Option<i64>,
    create_time_le: Option<i64>,
    update_time_ge: Option<i64>,
    update_time_le: Option<i64>,
}

pub(super) async fn search(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::ProductSearch, Scope::Shop, &request, |state, caller| {
        run_search(state, caller, &request)
    })
    .await
}

fn run_search(state: &crate::tiktok_shop::State, caller: &Caller, request: &SignedRequest) -> Result<Value, TtsError> {
    let filter: Filter = json_body(&request.body)?;
    if filter.seller_skus.as_ref().is_some_and(|s| s.len() > MAX_SELLER_SKUS) {
        return Err(TtsError::bad_request(
            12_019_027,
            "The maximum count of “seller_skus” in the search filter is 10.",
        ));
    }
    let wanted = match filter.status.as_deref() {
        None | Some("ALL") => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(_) => return Err(TtsError::invalid_param()),
    };
    let page = PageRequest::parse(&request.params, BY_ID)?;
    let shop = shop(state, caller)?;
    let within = |t: i64, ge: Option<i64>, le: Option<i64>| ge.is_none_or(|g| t >= g) && le.is_none_or(|l| t <= l);
    // The catalog is in product-id order already.
    let matching: Vec<usize> = shop
        .generated
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| wanted.is_none_or(|w| status(p) == w))
        .filter(|(_, p)| filter.seller_skus.as_ref().is_none_or(|skus| skus.contains(&p.sku)))
        .filter(|(_, p)| within(p.category_updated_unix, filter.create_time_ge, filter.create_time_le))
        .filter(|(_, p)| within(p.price_updated_unix, filter.update_time_ge, filter.update_time_le))
        .map(|(i, _)| i)
        .collect();
    let product_id = |&i: &usize| (0, ids::product(shop.generated.products[i].product_id));
    let (start, len, next) = paging::page(&matching, page, BY_ID, product_id, false);
    if start + len > state.product_search_cap {
        return Err(TtsError::bad_request(
            12_052_180,
            "The total number of search results can not exceed 10000.",
        ));
    }
    let products: Vec<Value> = matching[start..start + len]
        .iter()
        .map(|&i| search_item(shop, i))
        .collect();
    Ok(json!({"products": products, "next_page_token": next, "total_count": matching.len()}))
}

pub(super) async fn detail(State(sim): State<Sim>, Path(product_id): Path<String>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::ProductDetail, Scope::Shop, &request, |state, caller| {
        let shop = shop(state, caller)?;
        let index = parse_id(&product_id)
            .and_then(|id| shop.product_index(id))
            .ok_or_else(product_not_found)?;
        Ok(detail_json(shop, index))
    })
    .await
}

/// 12052032, for a product id the shop does not have.
pub(super) fn product_not_found() -> TtsError {
    TtsError::new(StatusCode::NOT_FOUND, 12_052_032, "The product does not exist")
}

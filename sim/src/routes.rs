//! HTTP routes: the Tokopedia Open API surface, the TikTok Shop hosts under
//! `/tiktok-shop/api` and `/tiktok-shop/auth` (see [`crate::tiktok_shop`]),
//! and `/sim/` controls.
//!
//! Marketplace handlers are thin: they start a [`Call`], run the route's
//! logic (`async fn run(..) -> ApiResult`) and let [`Call::finish`] render
//! the envelope, so auth, rate limits, faults and headers are uniform.

pub(crate) mod control;
mod logistic;
mod order;
mod order_json;
mod product;
mod shop;
mod single_order;
mod stock;
mod token;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

use crate::Sim;
use crate::api::{ApiError, Call};

/// Builds the router for a sim (marketplace routes, `/token`, `/sim/*`).
pub(crate) fn router(sim: Sim) -> Router {
    Router::new()
        .route("/token", post(token::grant))
        .route("/v1/shop/fs/{fs_id}/shop-info", get(shop::shop_info))
        .route("/inventory/v1/fs/{fs_id}/product/info", get(product::product_info))
        .route("/inventory/v1/fs/{fs_id}/stock/update", post(stock::update))
        .route("/v2/order/list", get(order::list))
        .route("/v2/fs/{fs_id}/order", get(order::single))
        .route("/v2/logistic/fs/{fs_id}/info", get(logistic::info))
        .nest("/tiktok-shop/api", crate::tiktok_shop::api_router())
        .nest("/tiktok-shop/auth", crate::tiktok_shop::auth_router())
        .nest("/sim", control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(sim)
}

async fn not_found(State(sim): State<Sim>) -> Response {
    Call::start(&sim, None).finish(Err(ApiError::route_not_found()))
}

async fn method_not_allowed(State(sim): State<Sim>) -> Response {
    Call::start(&sim, None).finish(Err(ApiError::method_not_allowed()))
}

/// Parses the `{fs_id}` path segment (400 `ICR_VLD_002` if not a number).
fn path_fs_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request("ICR_VLD_002", "Invalid fs_id"))
}

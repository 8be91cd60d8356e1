//! HTTP routes of the API host (signed, through the gateway), of the auth
//! host (consent pages and token endpoints) and of `/sim/tiktok-shop`.
//!
//! API handlers are one line: [`serve`] admits the request through the
//! gateway, then runs the route's logic, a plain function of the state and
//! the caller, under the sim's lock.

mod control;
mod inventory;
mod oauth;
mod order_json;
mod orders;
mod product_json;
mod products;
mod shops;
mod webhooks;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::endpoint::Endpoint;
use super::envelope::TtsError;
use super::gateway::{Call, Caller, Scope, SignedRequest};
use crate::Sim;

/// The API host, nested at `/tiktok-shop/api`.
pub(crate) fn api_router() -> Router<Sim> {
    Router::new()
        .route("/authorization/202309/shops", get(shops::authorized))
        .route("/product/202502/products/search", post(products::search))
        .route("/product/202309/products/search", post(products::search))
        .route("/product/202309/products/{product_id}", get(products::detail))
        .route("/product/202309/inventory/search", post(inventory::search))
        .route(
            "/product/202309/products/{product_id}/inventory/update",
            post(inventory::update),
        )
        .route("/order/202309/orders/search", post(orders::search))
        .route("/order/202309/orders", get(orders::detail))
        .route("/order/202507/orders", get(orders::detail))
        .route("/logistics/202309/warehouses", get(shops::warehouses))
        .route(
            "/event/202309/webhooks",
            get(webhooks::list).put(webhooks::update).delete(webhooks::delete),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
}

/// The auth host, nested at `/tiktok-shop/auth`.
pub(crate) fn auth_router() -> Router<Sim> {
    Router::new()
        .route("/oauth/authorize", get(oauth::consent_by_app_key))
        .route("/open/authorize", get(oauth::consent_by_service_id))
        .route("/api/v2/token/get", get(oauth::token_get))
        .route("/api/v2/token/refresh", get(oauth::token_refresh))
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
}

/// The controls, nested at `/sim/tiktok-shop`.
pub(crate) fn control_router() -> Router<Sim> {
    control::router()
}

async fn unknown_path(State(sim): State<Sim>) -> Response {
    Call::start(&sim, None).finish(Err(TtsError::unknown_path()))
}

async fn wrong_method(State(sim): State<Sim>) -> Response {
    Call::start(&sim, None).finish(Err(TtsError::method_not_allowed()))
}

/// Admits `request` to `endpoint`, then answers with `run` under the lock.
async fn serve(
    sim: &Sim,
    endpoint: Endpoint,
    scope: Scope,
    request: &SignedRequest,
    run: impl FnOnce(&mut super::State, &Caller) -> Result<Value, TtsError>,
) -> Response {
    let mut call = Call::start(sim, Some(endpoint));
    let result = match call.admit(request, scope).await {
        Ok(caller) => run(&mut sim.lock().tiktok, &caller),
        Err(err) => Err(err),
    };
    call.finish(result)
}

/// A JSON body; an empty one is `T::default()`, a malformed one 36009004.
fn json_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, TtsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|_| TtsError::invalid_param())
}

/// The caller's shop (admitted calls of `Scope::Shop` always have one).
fn shop<'a>(state: &'a super::State, caller: &Caller) -> Result<&'a super::world::Shop, TtsError> {
    state
        .world
        .shops
        .get(&caller.shop_id())
        .ok_or_else(TtsError::cipher_mismatch)
}

/// A wire id (a string of digits).
fn parse_id(raw: &str) -> Option<u64> {
    raw.trim().parse().ok()
}

/// Money and ids travel as strings.
fn text(value: impl ToString) -> Value {
    Value::String(value.to_string())
}

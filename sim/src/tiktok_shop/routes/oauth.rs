//! The auth host: consent pages and the token endpoints.
//!
//! The consent page stands in for the seller's browser session: it decides
//! at once and redirects to the callback, so a test drives the whole flow
//! with plain HTTP. Token endpoints are unsigned; the app secret travels in
//! the query, as on the platform.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::text;
use crate::Sim;
use crate::params::Params;
use crate::tiktok_shop::auth::{Issued, RefreshProblem};
use crate::tiktok_shop::envelope::{TtsError, envelope};
use crate::tiktok_shop::world::App;

/// Scopes every grant carries (the simulator does not check scopes).
const SCOPES: [&str; 6] = [
    "seller.authorization.info",
    "seller.shop.info",
    "seller.product.basic",
    "seller.product.write",
    "seller.order.info",
    "seller.logistics",
];

pub(super) async fn consent_by_app_key(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref());
    consent(&sim, &params, |state| {
        params.get("app_key").and_then(|key| state.world.apps.get(key)).cloned()
    })
}

pub(super) async fn consent_by_service_id(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref());
    consent(&sim, &params, |state| {
        params
            .get("service_id")
            .and_then(|id| state.world.app_by_service(id))
            .cloned()
    })
}

/// A consent page that never shows: it redirects with a code (or a refusal) at once.
fn consent(sim: &Sim, params: &Params, find_app: impl FnOnce(&crate::tiktok_shop::State) -> Option<App>) -> Response {
    let mut guard = sim.lock();
    let state = &mut guard.tiktok;
    state.stats.count_request("consent");
    let Some(app) = find_app(state) else {
        return page_error("unknown app_key or service_id");
    };
    let redirect = params.get("redirect_uri").unwrap_or(&app.redirect_uri).to_owned();
    if redirect.is_empty() {
        return page_error("no redirect_uri: pass one or register one for the app");
    }
    let shops = match chosen_shops(params, &app) {
        Ok(shops) => shops,
        Err(message) => return page_error(message),
    };
    let caller_state = params
        .pairs()
        .iter()
        .find(|(k, _)| k == "state")
        .map_or("", |(_, v)| v.as_str());
    let refused =
        params.get("sim_consent") == Some("refuse") || state.refuse_all || state.refusing.contains(&app.app_key);
    let mut query = form_urlencoded::Serializer::new(String::new());
    if refused {
        state.stats.consents_refused += 1;
        query
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The seller did not authorize the app.");
    } else {
        let seller = state.world.shops[&shops[0]].seller();
        let now = state.clock.now();
        let code = state.auth.issue_code(&app.app_key, seller, shops, now, state.lifetimes);
        state.stats.codes_issued += 1;
        query.append_pair("code", &code);
    }
    query.append_pair("state", caller_state);
    let separator = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{separator}{}", query.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The shops the consenting seller holds: `shop_id` (comma-separated or
/// repeated) or else every shop of the app.
fn chosen_shops(params: &Params, app: &App) -> Result<Vec<u64>, &'static str> {
    let asked: Vec<&str> = params.all("shop_id").into_iter().flat_map(|v| v.split(',')).collect();
    if asked.is_empty() {
        return match app.shop_ids.as_slice() {
            [] => Err("the app has no shops"),
            ids => Ok(ids.to_vec()),
        };
    }
    asked
        .into_iter()
        .map(|id| {
            id.trim()
                .parse()
                .ok()
                .filter(|id| app.shop_ids.contains(id))
                .ok_or("shop_id is not a shop of the app")
        })
        .collect()
}

fn page_error(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

pub(super) async fn token_get(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Response {
    token_call(
        &sim,
        query.as_deref(),
        "token-get",
        "authorized_code",
        |state, params, app_key| {
            let code = params.get("auth_code").ok_or_else(TtsError::invalid_auth_code)?;
            let now = state.clock.now();
            state
                .auth
                .exchange(app_key, code, now, state.lifetimes)
                .ok_or_else(TtsError::invalid_auth_code)
        },
    )
}

pub(super) async fn token_refresh(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Response {
    token_call(
        &sim,
        query.as_deref(),
        "token-refresh",
        "refresh_token",
        |state, params, app_key| {
            let token = params
                .get("refresh_token")
                .ok_or_else(TtsError::invalid_refresh_token)?;
            let now = state.clock.now();
            let issued = state
                .auth
                .refresh(app_key, token, now, state.lifetimes)
                .map_err(|problem| match problem {
                    RefreshProblem::Invalid => TtsError::invalid_refresh_token(),
                    RefreshProblem::Revoked => TtsError::revoked(),
                })?;
            state.stats.refreshes += 1;
            Ok(issued)
        },
    )
}

/// A token endpoint: counts the call, authenticates the app for
/// `grant_type`, lets `issue` hand out tokens and answers them.
fn token_call(
    sim: &Sim,
    query: Option<&str>,
    endpoint: &str,
    grant_type: &str,
    issue: impl FnOnce(&mut crate::tiktok_shop::State, &Params, &str) -> Result<Issued, TtsError>,
) -> Response {
    let params = Params::parse(query);
    let mut guard = sim.lock();
    let state = &mut guard.tiktok;
    state.stats.count_request(endpoint);
    let result = authenticate(state, &params, grant_type).and_then(|app_key| issue(state, &params, &app_key));
    respond(state, result)
}

/// The app of `app_key` + `app_secret`, once `grant_type` is as expected.
fn authenticate(state: &crate::tiktok_shop::State, params: &Params, grant_type: &str) -> Result<String, TtsError> {
    let app = params
        .get("app_key")
        .and_then(|key| state.world.apps.get(key))
        .filter(|app| params.get("app_secret") == Some(app.app_secret.as_str()))
        .ok_or_else(TtsError::bad_app_key)?;
    if params.get("grant_type") != Some(grant_type) {
        return Err(TtsError::invalid_param());
    }
    Ok(app.app_key.clone())
}

/// The token answer: expiries are absolute unix times.
fn respond(state: &mut crate::tiktok_shop::State, result: Result<Issued, TtsError>) -> Response {
    let issued = match result {
        Ok(issued) => issued,
        Err(err) => return err.into_response(),
    };
    state.stats.tokens_issued += 1;
    let grant = state.auth.grant(issued.grant);
    let data: Value = json!({
        "access_token": issued.access_token,
        "access_token_expire_in": issued.access_expires_at,
        "refresh_token": issued.refresh_token,
        "refresh_token_expire_in": issued.refresh_expires_at,
        "open_id": text(&grant.seller.open_id),
        "seller_name": grant.seller.name,
        "seller_base_region": grant.seller.region,
        "user_type": 0,
        "granted_scopes": SCOPES,
    });
    Json(envelope(0, "success", data)).into_response()
}

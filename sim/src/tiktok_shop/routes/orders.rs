//! `POST /order/202309/orders/search` (filtered by status and create/update
//! time windows, sorted by create or update time, cursor paged) and
//! `GET /order/{202309,202507}/orders?ids=…` (details in batches).
//!
//! Both see the orders as they stand on the world clock: orders not created
//! yet are invisible, and an order's `update_time` is when it reached its
//! current status, so an incremental sync by `update_time` sees it move.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::order_json::order as order_json;
use super::{json_body, parse_id, serve, shop};
use crate::Sim;
use crate::tiktok_shop::endpoint::Endpoint;
use crate::tiktok_shop::envelope::TtsError;
use crate::tiktok_shop::gateway::{Caller, Scope, SignedRequest};
use crate::tiktok_shop::order::Status;
use crate::tiktok_shop::paging::{self, PageRequest};

/// Most ids per detail request.
const MAX_DETAIL_IDS: usize = 50;

/// The search body; every filter is optional (`_ge` inclusive, `_lt` exclusive).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Filter {
    order_status: Option<String>,
    create_time_ge: Option<i64>,
    create_time_lt: Option<i64>,
    update_time_ge: Option<i64>,
    update_time_lt: Option<i64>,
}

/// `sort_field` and `sort_order` (default: newest created first).
#[derive(Debug, Clone, Copy)]
struct Sort {
    by_update: bool,
    descending: bool,
}

impl Sort {
    fn parse(params: &crate::params::Params) -> Result<Self, TtsError> {
        let by_update = match params.get("sort_field") {
            None | Some("create_time") => false,
            Some("update_time") => true,
            Some(_) => return Err(TtsError::invalid_param()),
        };
        let descending = match params.get("sort_order").map(str::to_ascii_uppercase).as_deref() {
            None | Some("DESC") => true,
            Some("ASC") => false,
            Some(_) => return Err(TtsError::invalid_param()),
        };
        Ok(Self { by_update, descending })
    }

    /// The cursor tag: a token is only good for the order it was made in.
    fn tag(self) -> u8 {
        1 + 2 * u8::from(self.by_update) + u8::from(self.descending)
    }
}

pub(super) async fn search(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::OrderSearch, Scope::Shop, &request, |state, caller| {
        run_search(state, caller, &request)
    })
    .await
}

fn run_search(state: &crate::tiktok_shop::State, caller: &Caller, request: &SignedRequest) -> Result<Value, TtsError> {
    let filter: Filter = json_body(&request.body)?;
    let wanted = match filter.order_status.as_deref() {
        None => None,
        Some(name) => Some(Status::parse(name).ok_or_else(TtsError::invalid_param)?),
    };
    let sort = Sort::parse(&request.params)?;
    let page = PageRequest::parse(&request.params, sort.tag())?;
    let shop = shop(state, caller)?;
    let now = state.clock.now();
    let within = |t: i64, ge: Option<i64>, lt: Option<i64>| ge.is_none_or(|g| t >= g) && lt.is_none_or(|l| t < l);
    // (sort key, id, index) of every order matching at `now`.
    let mut matching: Vec<(i64, u64, usize)> = shop
        .orders
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let (status, updated) = o.state_at(now)?;
            let keep = wanted.is_none_or(|w| w == status)
                && within(o.create_time(), filter.create_time_ge, filter.create_time_lt)
                && within(updated, filter.update_time_ge, filter.update_time_lt);
            let key = if sort.by_update { updated } else { o.create_time() };
            keep.then_some((key, o.id, i))
        })
        .collect();
    matching.sort_unstable();
    if sort.descending {
        matching.reverse();
    }
    let (start, len, next) = paging::page(&matching, page, sort.tag(), |&(k, id, _)| (k, id), sort.descending);
    let orders: Vec<Value> = matching[start..start + len]
        .iter()
        .map(|&(_, _, i)| order_json(shop, &shop.orders[i], now))
        .collect();
    Ok(json!({"orders": orders, "next_page_token": next, "total_count": matching.len()}))
}

pub(super) async fn detail(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::OrderDetail, Scope::Shop, &request, |state, caller| {
        let ids = parse_ids(request.params.get("ids").unwrap_or_default())?;
        let shop = shop(state, caller)?;
        let now = state.clock.now();
        let orders = ids
            .into_iter()
            .map(|id| {
                let order = shop.order(id).filter(|o| o.create_time() <= now).ok_or_else(|| {
                    TtsError::bad_request(
                        21_008_111,
                        "The order or package does not belong to the current seller.",
                    )
                })?;
                Ok(order_json(shop, order, now))
            })
            .collect::<Result<Vec<Value>, TtsError>>()?;
        Ok(json!({"orders": orders}))
    })
    .await
}

/// `a,b,c` (a JSON array of strings is accepted too): 1 to 50 numeric ids.
fn parse_ids(raw: &str) -> Result<Vec<u64>, TtsError> {
    let ids: Vec<u64> = raw
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|id| id.trim().trim_matches('"'))
        .filter(|id| !id.is_empty())
        .map(|id| parse_id(id).ok_or_else(TtsError::invalid_param))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() || ids.len() > MAX_DETAIL_IDS {
        return Err(TtsError::invalid_param());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_as_a_list_or_a_json_array() {
        assert_eq!(parse_ids("1,2").ok(), Some(vec![1, 2]));
        assert_eq!(parse_ids(r#"["1","2"]"#).ok(), Some(vec![1, 2]));
        assert!(parse_ids("").is_err());
        assert!(parse_ids("x").is_err());
        let many = (0..51).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert!(parse_ids(&many).is_err());
    }
}

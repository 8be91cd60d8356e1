//! `POST /inventory/v1/fs/{fs_id}/stock/update`: overwrite stock, up to 100
//! rows, each row paid with one token of the stock-update bucket.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::path_fs_id;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Call, Success};
use crate::params::Params;
use crate::ratelimit::Endpoint;

const MAX_ROWS: usize = 100;

/// One request row; `sku` wins over `product_id` when both are given.
#[derive(Debug, Deserialize)]
struct StockRow {
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    product_id: Option<u64>,
    new_stock: i64,
}

pub(crate) async fn update(
    State(sim): State<Sim>,
    Path(fs_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::StockUpdate));
    let params = Params::parse(query.as_deref());
    let result = run(&mut call, &fs_id, &params, &headers, &body).await;
    call.finish(result)
}

async fn run(call: &mut Call, fs_id: &str, params: &Params, headers: &HeaderMap, body: &[u8]) -> ApiResult {
    let fs_id = call.authorize(headers, path_fs_id(fs_id))?;
    // This token pays for the first row.
    call.admit()?;
    let shop_id = params
        .num::<u64>("shop_id", || ApiError::bad_request("PRD_DLV_001", "invalid shop_id"))?
        .ok_or_else(|| ApiError::bad_request("PRD_DLV_001", "shop_id cannot be empty"))?;
    let warehouse_id = params.num::<u64>("warehouse_id", || {
        ApiError::bad_request("PRD_DLV_001", "invalid warehouse_id")
    })?;
    let rows: Vec<StockRow> = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("PRD_DLV_004", format!("invalid request body: {e}")))?;
    if rows.len() > MAX_ROWS {
        return Err(ApiError::bad_request(
            "PRD_DLV_010",
            format!("maximum {MAX_ROWS} rows per request"),
        ));
    }
    let target = call.target_shop(fs_id, Some(shop_id))?;
    call.enter(target).await?;

    let more = u32::try_from(rows.len().saturating_sub(1)).unwrap_or(u32::MAX);
    let paid = 1 + call.take(more) as usize;
    call.count_bulk_rows(rows.len() as u64, rows.len().saturating_sub(paid) as u64);

    let sim = call.sim().clone();
    let mut state = sim.lock();
    let shop = state
        .registry
        .shops
        .get_mut(&shop_id)
        .ok_or_else(|| ApiError::forbidden(format!("shop_id {shop_id} not found")))?;
    if warehouse_id.is_some_and(|w| w != shop.warehouse_id) {
        return Err(ApiError::forbidden(format!(
            "warehouse_id is not associated with shop_id {shop_id}"
        )));
    }
    let mut failed = Vec::new();
    let mut succeeded = 0;
    for (i, row) in rows.iter().enumerate() {
        let sku = row.sku.as_deref().filter(|s| !s.is_empty());
        let outcome = if i >= paid {
            Err("ERR_TOO_MANY_REQUEST")
        } else {
            let product_id = match sku {
                Some(sku) => shop.product_by_sku(sku).map(|p| p.product_id).ok_or("Invalid SKU."),
                None => row
                    .product_id
                    .filter(|&id| shop.product(id).is_some())
                    .ok_or("Invalid Product ID."),
            };
            product_id.and_then(|id| {
                let stock = u32::try_from(row.new_stock).map_err(|_| "Invalid Stock.")?;
                if let Some(product) = shop.product_mut(id) {
                    product.stock = stock;
                    product.reserve_stock = product.reserve_stock.min(stock);
                }
                Ok(())
            })
        };
        match outcome {
            Ok(()) => succeeded += 1,
            Err(message) => failed.push(failed_row(row, sku, message)),
        }
    }
    Ok(Success::data(json!({
        "failed_rows": failed.len(),
        "failed_rows_data": failed,
        "succeed_rows": succeeded,
    })))
}

/// A failed row echoes the request; `product_id` is left out when the row
/// had none, as in product_update-stock-only-fail.json.
fn failed_row(row: &StockRow, sku: Option<&str>, message: &str) -> Value {
    let mut out = Map::new();
    if let Some(id) = row.product_id.filter(|&id| id != 0) {
        out.insert("product_id".into(), json!(id));
    }
    out.insert("sku".into(), json!(sku.unwrap_or_default()));
    out.insert("product_url".into(), json!(""));
    out.insert("new_stock".into(), json!(row.new_stock));
    out.insert("message".into(), json!(message));
    Value::Object(out)
}

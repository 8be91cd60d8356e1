//! `POST /product/202309/inventory/search` (stock per warehouse) and
//! `POST /product/202309/products/{product_id}/inventory/update` (absolute
//! quantities per warehouse; a SKU stocked in several warehouses must list
//! every one of them). Like the platform, a stock write sends no webhook.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::products::product_not_found;
use super::{json_body, parse_id, serve, shop, text};
use crate::Sim;
use crate::tiktok_shop::endpoint::Endpoint;
use crate::tiktok_shop::envelope::TtsError;
use crate::tiktok_shop::gateway::{Caller, Scope, SignedRequest};
use crate::tiktok_shop::ids;
use crate::tiktok_shop::world::Shop;

/// Most ids of one kind per inventory search.
const MAX_IDS: usize = 100;
/// Largest quantity a warehouse can hold for a SKU.
const MAX_QUANTITY: i64 = 999_999;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Lookup {
    product_ids: Vec<String>,
    sku_ids: Vec<String>,
}

pub(super) async fn search(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(
        &sim,
        Endpoint::InventorySearch,
        Scope::Shop,
        &request,
        |state, caller| {
            let lookup: Lookup = json_body(&request.body)?;
            if lookup.product_ids.is_empty() && lookup.sku_ids.is_empty() {
                return Err(TtsError::invalid_param());
            }
            if lookup.product_ids.len() > MAX_IDS || lookup.sku_ids.len() > MAX_IDS {
                return Err(TtsError::bad_request(12_019_015, "The number of SKU exceed the limit"));
            }
            let shop = shop(state, caller)?;
            let by_product = lookup
                .product_ids
                .iter()
                .map(|id| parse_id(id).and_then(|id| shop.product_index(id)));
            let by_sku = lookup
                .sku_ids
                .iter()
                .map(|id| parse_id(id).and_then(|id| shop.sku_index(id)));
            let mut indexes: Vec<usize> = Vec::new();
            for index in by_product.chain(by_sku) {
                let index = index.ok_or_else(|| TtsError::bad_request(12_019_008, "Product id is invalid"))?;
                if !indexes.contains(&index) {
                    indexes.push(index);
                }
            }
            let inventory: Vec<Value> = indexes.into_iter().map(|i| product_inventory(shop, i)).collect();
            Ok(json!({"inventory": inventory}))
        },
    )
    .await
}

/// Nothing is committed to open orders in this world: every unit is available.
fn product_inventory(shop: &Shop, index: usize) -> Value {
    let p = &shop.generated.products[index];
    let per_warehouse: Vec<Value> = shop
        .warehouses
        .iter()
        .zip(&shop.stock[index])
        .map(|(w, q)| json!({"warehouse_id": text(w.id), "available_quantity": q, "committed_quantity": 0}))
        .collect();
    json!({
        "product_id": text(ids::product(p.product_id)),
        "skus": [{
            "id": text(ids::sku(p.product_id)),
            "seller_sku": p.sku,
            "total_available_quantity": shop.stock[index].iter().sum::<u32>(),
            "total_committed_quantity": 0,
            "warehouse_inventory": per_warehouse,
        }],
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Update {
    skus: Vec<SkuUpdate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SkuUpdate {
    id: Option<String>,
    inventory: Vec<Quantity>,
}

#[derive(Debug, Deserialize)]
struct Quantity {
    warehouse_id: String,
    quantity: i64,
}

pub(super) async fn update(State(sim): State<Sim>, Path(product_id): Path<String>, request: SignedRequest) -> Response {
    serve(
        &sim,
        Endpoint::InventoryUpdate,
        Scope::Shop,
        &request,
        |state, caller| run_update(state, caller, &product_id, &request.body),
    )
    .await
}

/// Checks every row first (a request-level error changes nothing), then
/// applies the rows without item errors.
fn run_update(
    state: &mut crate::tiktok_shop::State,
    caller: &Caller,
    product_id: &str,
    body: &[u8],
) -> Result<Value, TtsError> {
    let update: Update = json_body(body)?;
    let shop = state
        .world
        .shops
        .get_mut(&caller.shop_id())
        .ok_or_else(TtsError::cipher_mismatch)?;
    let index = parse_id(product_id)
        .and_then(|id| shop.product_index(id))
        .ok_or_else(product_not_found)?;
    if update.skus.is_empty() {
        return Err(TtsError::invalid_param());
    }
    let mut errors = Vec::new();
    let mut writes: Vec<(usize, u32)> = Vec::new();
    for row in &update.skus {
        let sku_id = row
            .id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| TtsError::bad_request(12_052_036, "The SKU ID is necessary"))?;
        if row.inventory.is_empty() {
            return Err(TtsError::bad_request(12_019_022, "SKU must contain a valid warehouse."));
        }
        if row.inventory.iter().any(|q| !(0..=MAX_QUANTITY).contains(&q.quantity)) {
            return Err(TtsError::bad_request(12_019_024, "stock count is invalid"));
        }
        if parse_id(sku_id).and_then(|id| shop.sku_index(id)) != Some(index) {
            errors.push(item_error(sku_id, Vec::new()));
            continue;
        }
        let unknown: Vec<Value> = row
            .inventory
            .iter()
            .filter(|q| parse_id(&q.warehouse_id).and_then(|id| shop.warehouse_index(id)).is_none())
            .map(|q| json!({"warehouse_id": q.warehouse_id, "code": 12_052_097, "message": "The warehouse does not exist"}))
            .collect();
        if !unknown.is_empty() {
            errors.push(item_error(sku_id, unknown));
            continue;
        }
        let rows: Vec<(usize, u32)> = row
            .inventory
            .iter()
            .filter_map(|q| {
                let w = parse_id(&q.warehouse_id).and_then(|id| shop.warehouse_index(id))?;
                Some((w, u32::try_from(q.quantity).ok()?))
            })
            .collect();
        if (0..shop.warehouses.len()).any(|w| !rows.iter().any(|&(r, _)| r == w)) {
            return Err(TtsError::bad_request(
                12_019_028,
                "Multiple warehouses detected. Include all warehouse IDs and the corresponding details and try again.",
            ));
        }
        writes.extend(rows);
    }
    for (warehouse, quantity) in writes {
        shop.stock[index][warehouse] = quantity;
    }
    Ok(json!({"errors": errors}))
}

/// A failed SKU, as in inventory_update-ok.json.
fn item_error(sku_id: &str, extra_errors: Vec<Value>) -> Value {
    json!({
        "code": 12_052_990,
        "message": "Check failed",
        "detail": {"sku_id": sku_id, "extra_errors": extra_errors},
    })
}

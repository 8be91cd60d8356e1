//! `GET /authorization/202309/shops` (the grant's shops with their ciphers)
//! and `GET /logistics/202309/warehouses`.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::{serve, shop, text};
use crate::Sim;
use crate::tiktok_shop::endpoint::Endpoint;
use crate::tiktok_shop::gateway::{Scope, SignedRequest};
use crate::tiktok_shop::ids;

pub(super) async fn authorized(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(
        &sim,
        Endpoint::AuthorizedShops,
        Scope::Seller,
        &request,
        |state, caller| {
            let shops: Vec<Value> = state
                .auth
                .grant(caller.grant)
                .live_shops()
                .filter_map(|id| state.world.shops.get(&id))
                .map(|s| {
                    json!({
                        "id": text(s.id),
                        "name": s.name,
                        "region": s.region,
                        "seller_type": "LOCAL",
                        "cipher": s.cipher,
                        "code": s.code,
                    })
                })
                .collect();
            Ok(json!({"shops": shops}))
        },
    )
    .await
}

pub(super) async fn warehouses(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::Warehouses, Scope::Shop, &request, |state, caller| {
        let shop = shop(state, caller)?;
        let area = shop.generated.area;
        let (latitude, longitude) = area.geo.split_once(',').unwrap_or(("0", "0"));
        let warehouses: Vec<Value> = shop
            .warehouses
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let street = format!("Jl. Gudang Raya No. {}", i + 1);
                json!({
                    "id": text(w.id),
                    "entity_id": text(ids::open_id(shop.id)),
                    "name": w.name,
                    "effect_status": "ENABLED",
                    "type": "SALES_WAREHOUSE",
                    "sub_type": "DOMESTIC_WAREHOUSE",
                    "is_default": i == 0,
                    "address": {
                        "region": "Indonesia",
                        "state": area.province,
                        "city": area.city,
                        // Sic: the platform spells it so.
                        "distict": area.district,
                        "town": area.district,
                        "contact_person": shop.name,
                        "first_name": "",
                        "last_name": "",
                        "first_name_local_script": "",
                        "last_name_local_script": "",
                        "postal_code": area.postal_code,
                        "full_address": format!("{street}, {}, {}, {}, {}", area.district, area.city, area.province, area.postal_code),
                        "region_code": shop.region,
                        "phone_number": format!("(+62)812****{:04}", shop.id % 10_000),
                        "address_line1": street,
                        "address_line2": area.district,
                        "address_line3": area.city,
                        "address_line4": area.province,
                        "geolocation": {"latitude": latitude, "longitude": longitude},
                    },
                })
            })
            .collect();
        Ok(json!({"warehouses": warehouses}))
    })
    .await
}

//! `GET /v2/logistic/fs/{fs_id}/info`: couriers enabled for a shop.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::path_fs_id;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Call, MSG_OK, Success};
use crate::params::Params;
use crate::ratelimit::Endpoint;

pub(crate) async fn info(
    State(sim): State<Sim>,
    Path(fs_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut call = Call::start(&sim, Some(Endpoint::ShipmentInfo));
    let params = Params::parse(query.as_deref());
    let result = run(&mut call, &fs_id, &params, &headers).await;
    call.finish(result)
}

async fn run(call: &mut Call, fs_id: &str, params: &Params, headers: &HeaderMap) -> ApiResult {
    let fs_id = call.authorize(headers, path_fs_id(fs_id))?;
    call.admit()?;
    let shop_id = params.num::<u64>("shop_id", || ApiError::bad_request("LGS_DLV_001", "invalid shop_id"))?;
    // Without shop_id the app's only shop is meant; with several it is ambiguous.
    let shop_id = call
        .target_shop(fs_id, shop_id)?
        .ok_or_else(|| ApiError::bad_request("LGS_DLV_001", "shop_id cannot be empty"))?;
    call.enter(Some(shop_id)).await?;

    let state = call.sim().lock();
    let shippers: Vec<Value> = state
        .registry
        .shops
        .get(&shop_id)
        .map(|shop| shop.shippers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let services: Vec<Value> = s
                .services
                .iter()
                .map(|&(id, name, desc)| json!({"service_id": id, "service_name": name, "service_desc": desc}))
                .collect();
            json!({
                "shipper_id": s.id,
                "shipper_name": s.name,
                "logo": format!("https://images.tokopedia.net/img/kurir/logo_{}.png", s.logo),
                "services": services,
            })
        })
        .collect();
    Ok(Success::with_coded_header(Value::Array(shippers), MSG_OK))
}

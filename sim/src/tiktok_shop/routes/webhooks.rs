//! `GET`, `PUT` and `DELETE /event/202309/webhooks`: the caller app's webhook
//! addresses for the shop, one per event type. `PUT` takes
//! `{address, event_type}` (registering again replaces the address),
//! `DELETE` takes `{event_type}`; both answer empty `data`.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{json_body, serve};
use crate::Sim;
use crate::tiktok_shop::endpoint::Endpoint;
use crate::tiktok_shop::envelope::TtsError;
use crate::tiktok_shop::gateway::{Scope, SignedRequest};
use crate::tiktok_shop::webhooks::{self, EventType};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Registration {
    address: String,
    event_type: String,
}

fn event_type(name: &str) -> Result<EventType, TtsError> {
    EventType::parse(name.trim()).ok_or_else(TtsError::invalid_param)
}

pub(super) async fn list(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::Webhooks, Scope::Shop, &request, |state, caller| {
        let webhooks: Vec<Value> = state
            .webhooks
            .of(&caller.app_key, caller.shop_id())
            .map(|(event, s)| {
                json!({
                    "event_type": event.name(),
                    "address": s.address,
                    "create_time": s.create_time,
                    "update_time": s.update_time,
                })
            })
            .collect();
        Ok(json!({"total_count": webhooks.len(), "webhooks": webhooks}))
    })
    .await
}

pub(super) async fn update(State(sim): State<Sim>, request: SignedRequest) -> Response {
    let response = serve(&sim, Endpoint::Webhooks, Scope::Shop, &request, |state, caller| {
        let registration: Registration = json_body(&request.body)?;
        let event = event_type(&registration.event_type)?;
        let address = registration.address.trim();
        if !(address.starts_with("http://") || address.starts_with("https://")) {
            return Err(TtsError::invalid_param());
        }
        // Events before the registration are not the new address's.
        state.sweep_webhooks();
        let now = state.clock.now();
        state
            .webhooks
            .subscribe(&caller.app_key, caller.shop_id(), event, address, now);
        Ok(json!({}))
    })
    .await;
    webhooks::kick(&sim);
    response
}

pub(super) async fn delete(State(sim): State<Sim>, request: SignedRequest) -> Response {
    serve(&sim, Endpoint::Webhooks, Scope::Shop, &request, |state, caller| {
        let registration: Registration = json_body(&request.body)?;
        let event = event_type(&registration.event_type)?;
        state.sweep_webhooks();
        state.webhooks.unsubscribe(&caller.app_key, caller.shop_id(), event);
        Ok(json!({}))
    })
    .await
}

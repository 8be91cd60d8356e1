//! The API host's gateway: every request to `/tiktok-shop/api` passes a
//! [`Call`], which counts it, checks app key, signature, timestamp, access
//! token, shop cipher and scope in that order, applies the hidden rate limit
//! and the shop's latency and faults, and renders the envelope.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::Value;

use super::clock::wall_now;
use super::endpoint::Endpoint;
use super::envelope::{MSG_SUCCESS, TtsError, envelope};
use super::signing;
use crate::Sim;
use crate::params::Params;

/// Oldest accepted request timestamp, in seconds behind the server's clock.
const MAX_BEHIND_SECS: i64 = 300;
/// Newest accepted request timestamp, in seconds ahead of the server's clock.
const MAX_AHEAD_SECS: i64 = 30;

/// What a signature covers, taken from the request as it arrived.
#[derive(Debug)]
pub(crate) struct SignedRequest {
    /// Path below `/tiktok-shop/api`, as the platform's host would see it.
    pub path: String,
    pub params: Params,
    /// `x-tts-access-token`, else the legacy `access_token` query parameter.
    pub access_token: Option<String>,
    pub body: Bytes,
    /// `multipart/form-data` bodies are not signed.
    pub multipart: bool,
}

impl<S: Send + Sync> FromRequest<S> for SignedRequest {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        // Inside the nested router the URI no longer carries the prefix.
        let path = parts.uri.path().to_owned();
        let params = Params::parse(parts.uri.query());
        let header_text = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let access_token = header_text("x-tts-access-token")
            .map(str::to_owned)
            .or_else(|| params.get("access_token").map(str::to_owned));
        let multipart = header_text(header::CONTENT_TYPE.as_str())
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            path,
            params,
            access_token,
            body,
            multipart,
        })
    }
}

/// Whether an endpoint addresses a shop (`shop_cipher` required) or the
/// seller (`/authorization/*`, `/seller/*`: a cipher is refused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scope {
    Seller,
    Shop,
}

/// Who a checked request comes from.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub app_key: String,
    /// Index of the access token's grant.
    pub grant: usize,
    /// The shop the cipher names (`Scope::Shop` only).
    pub shop: Option<u64>,
}

impl Caller {
    /// The shop of a `Scope::Shop` call.
    pub fn shop_id(&self) -> u64 {
        self.shop.unwrap_or_default()
    }
}

/// One API request on its way through the gateway.
pub(crate) struct Call {
    sim: Sim,
    endpoint: Option<Endpoint>,
    started: Instant,
    /// The bucket's owner once the caller is known.
    owner: Option<(String, u64)>,
}

impl Call {
    /// Starts timing and counts the request (`None`: unknown route).
    pub fn start(sim: &Sim, endpoint: Option<Endpoint>) -> Self {
        let name = endpoint.map_or("unknown", Endpoint::name);
        sim.lock().tiktok.stats.count_request(name);
        Self {
            sim: sim.clone(),
            endpoint,
            started: Instant::now(),
            owner: None,
        }
    }

    /// Checks the request, takes a token from its hidden bucket and applies
    /// the shop's latency, planned outages and failure rate.
    pub async fn admit(&mut self, request: &SignedRequest, scope: Scope) -> Result<Caller, TtsError> {
        let (caller, knobs) = {
            let mut state = self.sim.lock();
            let caller = check(&state.tiktok, request, scope)?;
            let owner = (caller.app_key.clone(), caller.shop_id());
            self.owner = Some(owner.clone());
            if let Some(endpoint) = self.endpoint
                && state.tiktok.limiter.take(owner, endpoint, 1, Instant::now()) == 0
            {
                return Err(TtsError::too_many_requests());
            }
            let endpoint = self.endpoint;
            let knobs = caller
                .shop
                .and_then(|id| state.tiktok.world.shops.get_mut(&id))
                .map(|s| {
                    (
                        s.latency_ms,
                        s.failure_rate,
                        endpoint.is_some_and(|e| s.outage_reached(e)),
                    )
                });
            (caller, knobs)
        };
        let (latency_ms, failure_rate, outage) = knobs.unwrap_or_default();
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        if outage || (failure_rate > 0.0 && rand::rng().random::<f64>() < failure_rate) {
            return Err(TtsError::internal());
        }
        Ok(caller)
    }

    /// Renders the envelope; a 429 is counted and, when configured, says when
    /// to retry. No limit headers: the platform does not publish its limits.
    pub fn finish(self, result: Result<Value, TtsError>) -> Response {
        let process_time = self.started.elapsed().as_secs_f64();
        let name = self.endpoint.map_or("unknown", Endpoint::name);
        let (status, body) = match result {
            Ok(data) => (StatusCode::OK, envelope(0, MSG_SUCCESS, data)),
            Err(err) => (err.status, err.body()),
        };
        let mut retry_after = None;
        if status == StatusCode::TOO_MANY_REQUESTS {
            let mut state = self.sim.lock();
            let tiktok = &mut state.tiktok;
            tiktok.stats.count_rate_limited(name);
            if tiktok.retry_after {
                let wait = tiktok
                    .limiter
                    .peek(self.owner.as_ref(), self.endpoint, Instant::now())
                    .reset_after
                    .unwrap_or(1.0);
                retry_after = Some(wait.ceil().max(1.0) as u64);
            }
        }
        let label = format!("tiktok-shop/{name}");
        metrics::counter!("ocean_sim_requests_total", "endpoint" => label.clone(), "status" => status.as_str().to_owned())
            .increment(1);
        metrics::histogram!("ocean_sim_request_duration_seconds", "endpoint" => label).record(process_time);
        tracing::debug!(
            endpoint = name,
            status = status.as_u16(),
            process_time,
            "TikTok Shop call"
        );
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The checks of every signed request, in order.
fn check(state: &super::State, request: &SignedRequest, scope: Scope) -> Result<Caller, TtsError> {
    let params = &request.params;
    let app = params
        .get("app_key")
        .and_then(|key| state.world.apps.get(key))
        .ok_or_else(TtsError::bad_app_key)?;
    let sign = params.get("sign").ok_or_else(TtsError::missing_sign)?;
    let body = (!request.multipart).then_some(&request.body[..]);
    let expected = signing::request_signature(
        &app.app_secret,
        &request.path,
        params.pairs().iter().map(|(k, v)| (k, v)),
        body,
    );
    if !signing::same_signature(&expected, sign) {
        return Err(TtsError::bad_sign());
    }
    check_timestamp(params.get("timestamp"), wall_now())?;

    let token = request.access_token.as_deref().ok_or_else(TtsError::bad_access_token)?;
    let (grant_index, expired) = state
        .auth
        .access(token, &app.app_key, state.clock.now())
        .ok_or_else(TtsError::bad_access_token)?;
    let grant = state.auth.grant(grant_index);
    let shop = match (scope, params.get("shop_cipher")) {
        (Scope::Seller, Some(_)) => return Err(TtsError::unexpected_cipher()),
        (Scope::Seller, None) => {
            if grant.live_shops().next().is_none() {
                return Err(TtsError::revoked());
            }
            None
        }
        (Scope::Shop, None) => return Err(TtsError::missing_cipher()),
        (Scope::Shop, Some(cipher)) => {
            let shop = state
                .world
                .shop_by_cipher(cipher)
                .filter(|s| grant.shops.contains(&s.id))
                .ok_or_else(TtsError::cipher_mismatch)?;
            if !grant.is_live_for(shop.id) {
                return Err(TtsError::revoked());
            }
            Some(shop.id)
        }
    };
    if expired {
        return Err(TtsError::expired_access_token());
    }
    if shop.is_some_and(|id| grant.scope_withdrawn.contains(&id)) {
        return Err(TtsError::missing_scope());
    }
    Ok(Caller {
        app_key: app.app_key.clone(),
        grant: grant_index,
        shop,
    })
}

/// Accepts timestamps from 5 minutes behind to 30 seconds ahead of `now`.
fn check_timestamp(raw: Option<&str>, now: i64) -> Result<(), TtsError> {
    let timestamp: i64 = raw.and_then(|t| t.parse().ok()).ok_or_else(TtsError::invalid_param)?;
    if timestamp < 0 {
        Err(TtsError::negative_timestamp())
    } else if timestamp < now - MAX_BEHIND_SECS {
        Err(TtsError::stale_timestamp())
    } else if timestamp > now + MAX_AHEAD_SECS {
        Err(TtsError::future_timestamp())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_within_five_minutes_behind_and_thirty_seconds_ahead() {
        let now = 1_000_000;
        assert!(check_timestamp(Some("1000000"), now).is_ok());
        assert!(check_timestamp(Some("999700"), now).is_ok());
        assert!(check_timestamp(Some("1000030"), now).is_ok());
        assert_eq!(check_timestamp(Some("999699"), now), Err(TtsError::stale_timestamp()));
        assert_eq!(check_timestamp(Some("1000031"), now), Err(TtsError::future_timestamp()));
        assert_eq!(check_timestamp(Some("-1"), now), Err(TtsError::negative_timestamp()));
        assert_eq!(check_timestamp(None, now), Err(TtsError::invalid_param()));
        assert_eq!(check_timestamp(Some("soon"), now), Err(TtsError::invalid_param()));
    }
}

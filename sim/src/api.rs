//! The Tokopedia `header`/`data` envelope, API errors, query parameters, and
//! [`Call`]: the pipeline every marketplace route goes through (bearer auth,
//! fs_id/shop RBAC, rate limit, latency, fault injection, rate-limit headers
//! and stats).

use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

use crate::Sim;
use crate::ratelimit::Endpoint;

pub(crate) const MSG_OK: &str = "Your request has been processed successfully";
pub(crate) const MSG_MALFORMED: &str = "We could not process your request due to malformed request, please check again";
pub(crate) const MSG_SERVER: &str = "Our server encounters an error, please try again later";

/// An error answered in the standard envelope with `data: null`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    messages: &'static str,
    code: &'static str,
    reason: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        let messages = if status.is_server_error() {
            MSG_SERVER
        } else {
            MSG_MALFORMED
        };
        Self {
            status,
            messages,
            code,
            reason: reason.into(),
        }
    }

    /// HTTP 400 validation error.
    pub fn bad_request(code: &'static str, reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, reason)
    }

    /// HTTP 401: missing, unknown or expired token.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", reason)
    }

    /// HTTP 403 `RBAC_MDLW_001`: fs_id or shop not linked to the token's app.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "RBAC_MDLW_001", reason)
    }

    /// HTTP 429: the endpoint's bucket is empty.
    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUEST",
            "rate limit exceeded, please retry after X-Ratelimit-Reset-After seconds",
        )
    }

    /// HTTP 404 for an unknown route.
    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "route not found")
    }

    /// HTTP 405 for a known route called with the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "method not allowed",
        )
    }

    /// HTTP 500 `ORD_API_006`: the injected upstream failure.
    pub fn ext_service() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ORD_API_006",
            "There Are Error From Ext Service",
        )
    }

    /// `ORD_API_008` "Data Not Found": the docs pair it with the server-error
    /// message; HTTP 400 keeps it out of clients' retry paths.
    pub fn data_not_found() -> Self {
        Self {
            messages: MSG_SERVER,
            ..Self::new(StatusCode::BAD_REQUEST, "ORD_API_008", "Data Not Found")
        }
    }
}

/// A successful payload and the header style it is answered with.
pub(crate) struct Success {
    data: Value,
    /// Shop-info and logistic put `reason: ""` and an integer `error_code: 0`
    /// in their success header, with their own message.
    coded_header: Option<&'static str>,
}

impl Success {
    pub fn data(data: Value) -> Self {
        Self {
            data,
            coded_header: None,
        }
    }

    pub fn with_coded_header(data: Value, messages: &'static str) -> Self {
        Self {
            data,
            coded_header: Some(messages),
        }
    }

    /// A list page; an empty one is `[]`, or `null` when so configured.
    pub fn page(sim: &Sim, items: Vec<Value>) -> Value {
        if items.is_empty() && sim.empty_page_null() {
            Value::Null
        } else {
            Value::Array(items)
        }
    }
}

pub(crate) type ApiResult = Result<Success, ApiError>;

/// One marketplace request on its way through the gateway.
pub(crate) struct Call {
    sim: Sim,
    endpoint: Option<Endpoint>,
    started: Instant,
    /// App whose bucket the headers describe, once the token is known.
    fs_id: Option<u64>,
}

impl Call {
    /// Starts timing and counts the request (`None`: unknown route).
    pub fn start(sim: &Sim, endpoint: Option<Endpoint>) -> Self {
        let name = endpoint.map_or("unknown", Endpoint::name);
        sim.lock().stats.count_request(name);
        Self {
            sim: sim.clone(),
            endpoint,
            started: Instant::now(),
            fs_id: None,
        }
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Checks the bearer token (401), then the requested fs_id (`Err` is the
    /// route's own 400), then that it is the token's app (403).
    pub fn authorize(&mut self, headers: &HeaderMap, requested_fs_id: Result<u64, ApiError>) -> Result<u64, ApiError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
        let app = self
            .sim
            .lock()
            .tokens
            .app_of(token, Instant::now())
            .ok_or_else(|| ApiError::unauthorized("invalid or expired access token"))?;
        self.fs_id = Some(app);
        let fs_id = requested_fs_id?;
        if fs_id != app {
            return Err(ApiError::forbidden(format!(
                "access token is not authorized for fs_id {fs_id}"
            )));
        }
        Ok(app)
    }

    /// Takes one token from the endpoint's bucket, or answers 429.
    pub fn admit(&mut self) -> Result<(), ApiError> {
        if self.take(1) == 1 {
            Ok(())
        } else {
            Err(ApiError::too_many_requests())
        }
    }

    /// Takes up to `n` more tokens (bulk rows) and returns how many it got.
    pub fn take(&mut self, n: u32) -> u32 {
        let (Some(fs_id), Some(endpoint)) = (self.fs_id, self.endpoint) else {
            return 0;
        };
        self.sim.lock().limiter.take(fs_id, endpoint, n, Instant::now())
    }

    /// Resolves the shop a call is aimed at: the given `shop_id` (403 unless
    /// linked to the app), else the app's only shop, else none.
    pub fn target_shop(&self, fs_id: u64, shop_id: Option<u64>) -> Result<Option<u64>, ApiError> {
        let state = self.sim.lock();
        match shop_id {
            Some(id) if state.registry.is_linked(fs_id, id) => Ok(Some(id)),
            Some(id) => Err(ApiError::forbidden(format!(
                "fs_id {fs_id} is not associated with shop_id {id}"
            ))),
            None => {
                let shops = state.registry.shops_of(fs_id);
                Ok(match shops.as_slice() {
                    [only] => Some(only.shop_id()),
                    _ => None,
                })
            }
        }
    }

    /// Applies the target shop's latency, then its failure rate (HTTP 500).
    pub async fn enter(&self, shop_id: Option<u64>) -> Result<(), ApiError> {
        let Some(shop_id) = shop_id else {
            return Ok(());
        };
        let knobs = self
            .sim
            .lock()
            .registry
            .shops
            .get(&shop_id)
            .map(|s| (s.config.latency_ms, s.config.failure_rate));
        let Some((latency_ms, failure_rate)) = knobs else {
            return Ok(());
        };
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        if failure_rate > 0.0 && rand::rng().random::<f64>() < failure_rate {
            return Err(ApiError::ext_service());
        }
        if let Some(endpoint) = self.endpoint {
            let mut state = self.sim.lock();
            if let Some(left) = state.outages.get_mut(&(shop_id, endpoint.name().to_owned())) {
                if *left == 0 {
                    return Err(ApiError::ext_service());
                }
                *left -= 1;
            }
        }
        Ok(())
    }

    /// Counts the rows of a bulk request and those refused for lack of tokens.
    pub fn count_bulk_rows(&self, received: u64, throttled: u64) {
        if let Some(endpoint) = self.endpoint {
            let mut state = self.sim.lock();
            state.stats.count_bulk_rows(endpoint.name(), received);
            state.stats.count_throttled_rows(endpoint.name(), throttled);
        }
    }

    /// Renders the envelope with the rate-limit headers and records 429s.
    pub fn finish(self, result: ApiResult) -> Response {
        let process_time = self.started.elapsed().as_secs_f64();
        let (status, body) = match result {
            Ok(Success {
                data,
                coded_header: None,
            }) => (
                StatusCode::OK,
                json!({"header": {"process_time": process_time, "messages": MSG_OK}, "data": data}),
            ),
            Ok(Success {
                data,
                coded_header: Some(messages),
            }) => (
                StatusCode::OK,
                json!({
                    "header": {"process_time": process_time, "messages": messages, "reason": "", "error_code": 0},
                    "data": data,
                }),
            ),
            Err(err) => (
                err.status,
                json!({
                    "header": {
                        "process_time": process_time,
                        "messages": err.messages,
                        "reason": err.reason,
                        "error_code": err.code,
                    },
                    "data": null,
                }),
            ),
        };
        let rate = {
            let mut state = self.sim.lock();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let name = self.endpoint.map_or("unknown", Endpoint::name);
                state.stats.count_rate_limited(name);
            }
            state.limiter.peek(self.fs_id.as_ref(), self.endpoint, Instant::now())
        };
        // Recorded through the `metrics` facade: served by `ocean-sim`'s exporter, a no-op in tests.
        let endpoint = self.endpoint.map_or("unknown", Endpoint::name);
        metrics::counter!("ocean_sim_requests_total", "endpoint" => endpoint, "status" => status.as_str().to_owned())
            .increment(1);
        metrics::histogram!("ocean_sim_request_duration_seconds", "endpoint" => endpoint).record(process_time);
        tracing::debug!(
            endpoint = self.endpoint.map_or("unknown", Endpoint::name),
            fs_id = ?self.fs_id,
            status = status.as_u16(),
            process_time,
            "marketplace call"
        );
        let mut response = (status, Json(body)).into_response();
        for (name, value) in rate.pairs() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

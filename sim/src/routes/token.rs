//! `POST /token`: OAuth2 client credentials, answered without the envelope.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::Sim;
use crate::params::Params;

/// Grants (or re-sends) the app's access token.
pub(crate) async fn grant(
    State(sim): State<Sim>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.lock().stats.count_request("token");
    let Some((client_id, client_secret)) = basic_credentials(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "missing or malformed Basic authorization",
        );
    };
    let fs_id = sim
        .lock()
        .registry
        .app_by_credentials(&client_id, &client_secret)
        .map(|app| app.fs_id);
    let Some(fs_id) = fs_id else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };

    // The docs send grant_type in the query; older clients send a form body.
    let from_query = Params::parse(query.as_deref());
    let from_body = Params::parse(std::str::from_utf8(&body).ok());
    let grant_type = from_query.get("grant_type").or_else(|| from_body.get("grant_type"));
    match grant_type {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required");
        }
    }

    let grant = sim.grant_token(fs_id);
    Json(json!({
        "access_token": grant.token,
        "event_code": "",
        "expires_in": grant.expires_in,
        "last_login_type": "8",
        "sq_check": false,
        "token_type": "Bearer",
    }))
    .into_response()
}

/// `(client_id, client_secret)` from `Authorization: Basic ...`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({"error": error, "error_description": description}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"tokopedia\""),
        );
    }
    response
}

//! Connecting shops through the marketplace's consent page, from the console: "Connect TikTok Shop" on
//! the Integrations page and "Reconnect" on an account send the user there with a `state` bound to this
//! console session; the marketplace sends them back to the callback, which connects the shops and shows
//! what happened. The flow itself is the API's ([`crate::routes::authorizations`]).

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::html;

use super::{
    ConsoleError,
    layout::{self, Nav, page},
    session::{ConsoleUser, CsrfForm, session_id},
};
use crate::{
    AppState,
    error::ApiError,
    routes::authorizations::{self, AuthorizationCallback},
};

/// "Connect …" on the Integrations page (global admins).
pub async fn connect(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    headers: HeaderMap,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, ConsoleError> {
    redirect_to_consent(&state, &headers, &user, &integration_id, None).await
}

/// "Reconnect" on an account whose authorization lapsed (its admins).
pub async fn reconnect(
    State(state): State<AppState>,
    Path((integration_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, ConsoleError> {
    redirect_to_consent(&state, &headers, &user, &integration_id, Some(&id)).await
}

async fn redirect_to_consent(
    state: &AppState,
    headers: &HeaderMap,
    user: &ConsoleUser,
    integration_id: &str,
    account: Option<&str>,
) -> Result<Response, ConsoleError> {
    let binding = session_id(headers).ok_or(ConsoleError::SignIn(None))?;
    let callback = callback_url(headers, integration_id);
    let url = authorizations::begin(state, &user.auth(), integration_id, binding, account, &callback).await?;
    // Not a redirect: the console's `form-action 'self'` policy forbids a form's redirect to another
    // origin. The browser follows the Refresh header at once; the link is for those that do not.
    let content = html! {
        h1 { "Continue to the marketplace" }
        div.card {
            p { "The marketplace asks the seller to sign in and authorize Ocean ERP, then sends you back here." }
            div.actions { a.button #consent-link href=(url) { "Continue" } }
        }
    };
    let refresh = HeaderValue::from_str(&format!("0; url={url}")).map_err(|_| {
        ConsoleError::Api(ApiError::Internal(anyhow::anyhow!(
            "the consent URL is not a header value"
        )))
    })?;
    Ok((
        [(header::REFRESH, refresh)],
        page("Authorize", user, Nav::Integrations, content),
    )
        .into_response())
}

/// This console's callback for the integration, as the browser reaches it.
fn callback_url(headers: &HeaderMap, integration_id: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{host}/integrations/{integration_id}/callback")
}

/// Where the consent page sends the seller back: connects the shops, or says plainly why nothing changed.
pub async fn callback(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    headers: HeaderMap,
    user: ConsoleUser,
    Query(query): Query<AuthorizationCallback>,
) -> Response {
    let Some(binding) = session_id(&headers) else {
        return ConsoleError::SignIn(None).into_response();
    };
    let shops = match authorizations::complete(&state, &user.auth(), &integration_id, binding, query).await {
        Ok(shops) => shops,
        Err(e) => return failure(e),
    };
    let accounts = format!("/integrations/{integration_id}/accounts");
    let content = html! {
        h1 { "Shops connected" }
        div.card {
            p role="status" { "The marketplace authorized " (shops.len()) " shop" @if shops.len() != 1 { "s" } ". They sync now." }
            ul #connected-shops {
                @for shop in &shops {
                    li {
                        a href=(format!("{accounts}/{}", shop.account_id)) { (shop.account_name) }
                        " (shop " (shop.shop_id) ")"
                        @if shop.renewed { " – reconnected" } @else { " – new account" }
                    }
                }
            }
            div.actions { a.button href=(accounts) { "Manage Accounts" } }
        }
    };
    page("Shops connected", &user, Nav::Integrations, content).into_response()
}

/// A clear page for a callback that connected nothing.
fn failure(e: ApiError) -> Response {
    let (status, message) = match e {
        ApiError::Validation(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.into_iter().map(|f| f.reason).collect::<Vec<_>>().join("; "),
        ),
        ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
        ApiError::Unavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, message),
        other => return ConsoleError::Api(other).into_response(),
    };
    let message = format!("Nothing was connected: {message}");
    (status, layout::error_page(status, &message)).into_response()
}

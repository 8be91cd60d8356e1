//! The web console: server-rendered pages over the account API, served at `/`.
//!
//! Pages call the same handlers as `/api`, so the console has exactly the API's validation, roles, audit
//! entries and secrecy. Its routes are HTML, not part of the OpenAPI document. A little JavaScript
//! (`assets/console.js`) refreshes live parts and runs connection tests in place; every page and form also
//! works without it.

mod account_form;
mod accounts;
mod connect;
mod form;
mod layout;
mod pages;
mod session;

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

pub use session::COOKIE as SESSION_COOKIE;

use crate::{AppState, error::ApiError};

/// Every console route. Paths mirror the API's without the `/api` prefix.
pub fn router() -> Router<AppState> {
    let accounts = "/integrations/{integration_id}/accounts";
    Router::new()
        .route("/", get(|| async { Redirect::to("/integrations") }))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route("/integrations", get(pages::integrations))
        .route("/integrations/{integration_id}/dashboard", get(pages::dashboard))
        .route(
            "/integrations/{integration_id}/settings",
            get(pages::settings).post(pages::save_settings),
        )
        .route("/integrations/{integration_id}/sync-all", post(accounts::sync_all))
        .route("/integrations/{integration_id}/connect", post(connect::connect))
        .route("/integrations/{integration_id}/callback", get(connect::callback))
        .route(accounts, get(accounts::manage).post(account_form::create))
        .route(&format!("{accounts}/live"), get(accounts::live))
        .route(&format!("{accounts}/new"), get(account_form::new_form))
        .route(&format!("{accounts}/test-connection"), post(account_form::test_new))
        .route(
            &format!("{accounts}/{{id}}"),
            get(accounts::detail).post(account_form::update),
        )
        .route(&format!("{accounts}/{{id}}/edit"), get(account_form::edit_form))
        .route(&format!("{accounts}/{{id}}/test"), post(account_form::test_stored))
        .route(&format!("{accounts}/{{id}}/sync"), post(accounts::sync_now))
        .route(&format!("{accounts}/{{id}}/resume"), post(accounts::resume))
        .route(&format!("{accounts}/{{id}}/reconnect"), post(connect::reconnect))
        .route(&format!("{accounts}/{{id}}/set-primary"), post(accounts::set_primary))
        .route(
            &format!("{accounts}/{{id}}/remove"),
            get(accounts::remove_page).post(accounts::remove),
        )
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .route_layer(axum::middleware::from_fn(reject_bad_path_params))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Why a console request did not produce its page.
#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in: go to the sign-in page, then back to this path.
    SignIn(Option<String>),
    /// Not signed in, asked by our script: 401 so it reloads into the sign-in page.
    SessionEnded,
    /// A POST without this session's CSRF token, or from another site.
    Csrf,
    /// The sign-in token is unknown or revoked.
    BadToken,
    /// Too many wrong sign-in tokens from this address.
    Throttled(crate::throttle::Throttled),
    /// A body that is not a form of ours.
    BadForm,
    /// The API refused (its status and message are shown).
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => Self::SignIn(None),
            other => Self::Api(other),
        }
    }
}

impl From<sqlx::Error> for ConsoleError {
    fn from(e: sqlx::Error) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::SignIn(next) => {
                let to = match next.as_deref().map(session::safe_next) {
                    Some(path) if path != "/" => format!("/sign-in?next={}", encode(path)),
                    _ => "/sign-in".to_owned(),
                };
                return Redirect::to(&to).into_response();
            }
            Self::SessionEnded => return session::session_ended(),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this console. Go back, reload the page and try again."
                    .to_owned(),
            ),
            Self::BadToken => (StatusCode::UNAUTHORIZED, "That token is unknown or revoked.".to_owned()),
            Self::Throttled(throttled) => return Self::Api(throttled.into()).into_response(),
            Self::BadForm => (StatusCode::BAD_REQUEST, "The form could not be read.".to_owned()),
            // A malformed account id in a path is a page that does not exist.
            Self::Api(ApiError::Validation(fields)) if fields.iter().any(|f| f.field == "id") => {
                (StatusCode::NOT_FOUND, "There is no such account.".to_owned())
            }
            Self::Api(ApiError::Validation(fields)) => {
                let reasons: Vec<String> = fields.iter().map(|f| format!("{} {}", f.field, f.reason)).collect();
                (StatusCode::UNPROCESSABLE_ENTITY, format!("{}.", reasons.join("; ")))
            }
            Self::Api(e) => {
                let status = e.status_code();
                let message = if status.is_server_error() {
                    tracing::error!(error.message = %e, error.cause_chain = ?e, "console request failed");
                    "Something went wrong on our side; it has been logged. Try again in a moment.".to_owned()
                } else {
                    e.to_string()
                };
                (status, message)
            }
        };
        (status, layout::error_page(status, &message)).into_response()
    }
}

/// A path whose parameters are not text we could look up (bytes that are not UTF-8, NUL characters) names
/// no page of ours.
async fn reject_bad_path_params(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match crate::path_params::check(request).await {
        Ok(request) => next.run(request).await,
        Err(_) => ConsoleError::Api(ApiError::NotFound("There is no such page.".into())).into_response(),
    }
}

/// `s` as one query-string value.
fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Headers every console answer carries: no framing, no inline scripts or styles, no caching of pages
/// that show account data, no referrer leaking ids.
async fn security_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    // `same-origin`, not `no-referrer`: with the latter, browsers send `Origin: null` on our own form posts.
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    if !is_asset {
        set(headers, "cache-control", "no-store");
    }
    response
}

async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", include_str!("console/assets/console.css"))
}

async fn js() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("console/assets/console.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
}

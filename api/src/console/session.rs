//! Console sign-in: an API token is exchanged for a session whose random id lives in an HttpOnly,
//! SameSite=Lax cookie. Every POST carries the session's CSRF token (derived from the session id, not
//! stored) in a `_csrf` form field and, when the browser sends one, an `Origin` of this host. Lax rather
//! than Strict so that a link to a console page (from mail or chat) opens it signed in; GETs change
//! nothing, and POSTs need the token either way.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use ocean_core::db::{sessions, users::User};

use super::{ConsoleError, form::FormData};
use crate::{AppState, auth::AuthUser, throttle::ClientAddr};

pub const COOKIE: &str = "ocean_session";
/// Sessions end after this long; signing in again opens a new one.
pub const LIFETIME_HOURS: i64 = 12;

/// The signed-in console user, with what their forms must send back.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub user: User,
    pub csrf: String,
}

impl ConsoleUser {
    pub fn auth(&self) -> AuthUser {
        AuthUser(self.user.clone())
    }
}

/// The value of our cookie in a request.
pub fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// Requests made by the console's own scripts (live refresh, connection tests) ask for fragments and get a
/// 401 instead of a redirect when the session has ended.
pub fn is_fetch(headers: &HeaderMap) -> bool {
    headers.get("x-requested-with").is_some_and(|v| v == "fetch")
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_out = || {
            if is_fetch(&parts.headers) {
                ConsoleError::SessionEnded
            } else if parts.method == axum::http::Method::GET {
                // Back to this page after signing in.
                ConsoleError::SignIn(parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
            } else {
                ConsoleError::SignIn(None)
            }
        };
        let id = session_id(&parts.headers).ok_or_else(signed_out)?;
        let session = sessions::find(&state.pool, id).await?.ok_or_else(signed_out)?;
        Ok(Self {
            user: session.user(),
            csrf: sessions::csrf_token(id),
        })
    }
}

/// A POSTed console form from the signed-in user, with its CSRF token and origin checked.
pub struct CsrfForm {
    pub user: ConsoleUser,
    pub form: FormData,
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        check_origin(&parts.headers)?;
        let user = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let form = FormData::from_request(Request::from_parts(parts, body), state).await?;
        if !constant_time_eq(form.get("_csrf").as_bytes(), user.csrf.as_bytes()) {
            return Err(ConsoleError::Csrf);
        }
        Ok(Self { user, form })
    }
}

/// A cross-site POST carries its own site in `Origin`; ours names this host (as the client asked for it,
/// which a proxy may pass on in `X-Forwarded-Host`).
pub fn check_origin(headers: &HeaderMap) -> Result<(), ConsoleError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let ours = [header::HOST.as_str(), "x-forwarded-host"]
        .into_iter()
        .filter_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))
        .any(|host| host == origin_host);
    if ours { Ok(()) } else { Err(ConsoleError::Csrf) }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Set-Cookie` for a new session. `Secure` is added when the request reached us over HTTPS through a
/// proxy (`X-Forwarded-Proto: https`), as behind the production Ingress.
pub fn session_cookie(headers: &HeaderMap, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).expect("cookie of URL-safe characters")
}

/// Signs in with an API token; answers the redirect to `next` with the session cookie.
/// Wrong tokens spend the address's budget, as bearer tokens do.
pub async fn sign_in(
    state: &AppState,
    client: ClientAddr,
    headers: &HeaderMap,
    token: &str,
    next: &str,
) -> Result<Response, ConsoleError> {
    let token = token.trim();
    let attempt = state
        .auth_throttle
        .begin(client, token)
        .map_err(ConsoleError::Throttled)?;
    let lifetime = chrono::Duration::hours(LIFETIME_HOURS);
    // A browser signing in again leaves no older session of its own alive.
    if let Some(old) = session_id(headers) {
        sessions::close(&state.pool, old).await?;
    }
    let opened = sessions::open(&state.pool, token, lifetime).await;
    state.auth_throttle.finish(attempt, &opened);
    let Some(id) = opened? else {
        return Err(ConsoleError::BadToken);
    };
    let mut response = Redirect::to(safe_next(next)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(headers, &id, lifetime.num_seconds()));
    Ok(response)
}

/// Ends the session and clears the cookie.
pub async fn sign_out(state: &AppState, headers: &HeaderMap) -> Result<Response, ConsoleError> {
    if let Some(id) = session_id(headers) {
        sessions::close(&state.pool, id).await?;
    }
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(headers, "", 0));
    Ok(response)
}

/// Only paths of this console are followed after sign-in: an absolute path of plain URL characters.
/// Anything else (another site, `//host`, backslashes, control characters that browsers strip before
/// reading the URL) goes to the start page.
pub fn safe_next(next: &str) -> &str {
    let plain = next
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%+".contains(&b));
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/"
    }
}

/// 401 for the console's scripts when the session is gone: they reload into the sign-in page.
pub fn session_ended() -> Response {
    (StatusCode::UNAUTHORIZED, "signed out").into_response()
}

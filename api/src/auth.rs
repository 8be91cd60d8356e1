//! Bearer-token authentication. Every `/api` route takes an [`AuthUser`]; tokens are looked up by their
//! SHA-256 digest, and revoked tokens sign nobody in. Wrong tokens are throttled per client address
//! (see [`crate::throttle`]).

use axum::{extract::FromRequestParts, http::request::Parts};
use ocean_core::db::users::{self, User};

use crate::{AppState, error::ApiError, throttle::ClientAddr};

/// The signed-in caller.
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let attempt = state.auth_throttle.begin(ClientAddr::of(parts), token)?;
        let found = users::find_by_token(&state.pool, token).await;
        state.auth_throttle.finish(attempt, &found);
        Ok(Self(found?.ok_or(ApiError::Unauthorized)?))
    }
}

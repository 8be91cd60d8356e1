//! JSON request bodies that are refused in the API's error shape.

use axum::{
    Json,
    extract::{FromRequest, Request},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json` whose refusals answer in the API's envelope: a body that is not JSON or not sent as JSON
/// is a 400, a field of the wrong type a 422 naming it, a body over the limit a 413 (see
/// `impl From<JsonRejection> for ApiError`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

//! Query-string extraction that answers bad values in the API's error shape, naming the parameter.

use axum::extract::{FromRequestParts, Query as AxumQuery};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::extract::Query` with 422 `validation_failed` instead of a plain-text 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match AxumQuery::<T>::from_request_parts(parts, state).await {
            Ok(AxumQuery(value)) => Ok(Self(value)),
            Err(rejection) => {
                // axum's text is "Failed to deserialize query string: <field>: <reason>".
                let text = rejection.body_text();
                let detail = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, rest)| rest);
                Err(match detail.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => ApiError::validation(field, reason),
                    _ => ApiError::validation("query", detail),
                })
            }
        }
    }
}

//! Route modules, one per resource.

mod account_input;
mod account_view;
pub mod accounts;
pub mod health;

use crate::error::ApiError;

/// Unknown paths answer in the API's error shape.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

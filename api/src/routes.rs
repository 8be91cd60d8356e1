//! Route modules, one per resource; each returns an `OpenApiRouter` so the OpenAPI document lists exactly
//! the routes that are served.

pub mod accounts;
pub mod authorizations;
pub mod grants;
pub mod health;
pub mod integrations;
pub mod users;

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::ApiError, openapi::ApiResponse};

/// Wraps `data` in the success envelope.
pub fn ok<T: Serialize + ToSchema>(data: T) -> Json<ApiResponse<T>> {
    Json(ApiResponse { success: true, data })
}

/// Unknown paths answer in the API's error shape.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

//! The OpenAPI 3 document. Routes are registered through `utoipa_axum::routes!`, so the served router and
//! the document come from the same list; shared shapes (envelope, error, pagination) live here.

use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The success envelope every route answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiResponse<T: ToSchema> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `validation_failed`, `not_found`, `account_exists`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For `validation_failed`: `{"fields": [{"field", "reason"}]}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Where a page sits in the whole list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pagination {
    /// 1-based page number.
    pub page: i64,
    pub per_page: i64,
    /// Items matching the filters, over all pages.
    pub total: i64,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ocean Sync API",
        description = "Manages marketplace accounts (Tokopedia shops) of Ocean ERP and triggers their syncs. \
                       Every /api route needs `Authorization: Bearer <token>`.",
        version = env!("CARGO_PKG_VERSION")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "accounts", description = "Marketplace accounts of an integration"),
        (name = "sync", description = "Sync triggers and connection tests"),
        (name = "access", description = "Per-account roles"),
        (name = "integrations", description = "Platform settings"),
        (name = "users", description = "Users and API tokens (global admins)"),
        (name = "health", description = "Probes and this document")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

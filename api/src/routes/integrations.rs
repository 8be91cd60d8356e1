//! `/api/integrations/{integration_id}`: the platform and its settings.

use axum::{
    Json,
    extract::{Path, State},
};
use ocean_core::db::{
    integrations::{self, Integration, SettingsUpdate},
    logs,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::accounts::known_integration;
use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, Result},
    extract::AppJson,
    openapi::{ApiResponse, ErrorBody},
    permissions::require_global_admin,
    routes::ok,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_integration, update_settings))
}

/// The design's three platform switches.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformSettings {
    /// On: sync-all releases every account at once. Off: sync-all spreads the accounts' jobs out.
    pub sync_all_simultaneously: bool,
    /// On: products with the same SKU in several accounts map to one local product.
    pub share_product_catalog: bool,
    /// Stored for the ERP's notifier; Ocean Sync itself sends no notifications.
    pub consolidated_order_notifications: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub integration_id: String,
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub status: String,
    pub settings: PlatformSettings,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Integration> for IntegrationView {
    fn from(i: Integration) -> Self {
        Self {
            integration_id: i.integration_id,
            name: i.name,
            description: i.description,
            category: i.category,
            status: i.status,
            settings: PlatformSettings {
                sync_all_simultaneously: i.sync_all_simultaneously,
                share_product_catalog: i.share_product_catalog,
                consolidated_order_notifications: i.consolidated_order_notifications,
            },
            updated_at: i.updated_at,
        }
    }
}

/// Body of `PUT /api/integrations/{integration_id}`; omitted switches keep their value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SettingsRequest {
    pub sync_all_simultaneously: Option<bool>,
    pub share_product_catalog: Option<bool>,
    pub consolidated_order_notifications: Option<bool>,
}

/// The platform and its settings (any signed-in user).
#[utoipa::path(get, path = "/api/integrations/{integration_id}", tag = "integrations",
    params(("integration_id" = String, Path)),
    responses((status = 200, body = ApiResponse<IntegrationView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_integration(
    State(state): State<AppState>,
    _user: AuthUser,
    Path(integration_id): Path<String>,
) -> Result<Json<ApiResponse<IntegrationView>>> {
    Ok(ok(known_integration(&state, &integration_id).await?.into()))
}

/// Changes platform settings (global admins).
#[utoipa::path(put, path = "/api/integrations/{integration_id}", tag = "integrations",
    params(("integration_id" = String, Path)),
    request_body = SettingsRequest,
    responses(
        (status = 200, body = ApiResponse<IntegrationView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    AppJson(body): AppJson<SettingsRequest>,
) -> Result<Json<ApiResponse<IntegrationView>>> {
    known_integration(&state, &integration_id).await?;
    require_global_admin(&user)?;
    let update = SettingsUpdate {
        sync_all_simultaneously: body.sync_all_simultaneously,
        share_product_catalog: body.share_product_catalog,
        consolidated_order_notifications: body.consolidated_order_notifications,
    };
    let mut tx = state.pool.begin().await?;
    let updated = integrations::update_settings(&mut *tx, &integration_id, &update)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("unknown integration `{integration_id}`")))?;
    let details = json!({
        "sync_all_simultaneously": update.sync_all_simultaneously,
        "share_product_catalog": update.share_product_catalog,
        "consolidated_order_notifications": update.consolidated_order_notifications,
    });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        None,
        Some(user.0.id),
        "integration.settings",
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(ok(updated.into()))
}

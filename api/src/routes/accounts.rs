//! `/api/integrations/{integration_id}/accounts`: the account API of the design.

pub(crate) mod input;
pub(crate) mod read;
pub(crate) mod sync;
mod view;
pub(crate) mod write;

use ocean_core::{
    db::integrations::{self, Integration},
    marketplace::{Marketplace, adapter::Connect},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use view::{AccountList, AccountView, CredentialsView, LogPage, LogView, Summary};

use crate::{
    AppState,
    error::{ApiError, Result},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read::list, write::create))
        .routes(routes!(read::get_account, write::update, write::delete))
        .routes(routes!(sync::sync_all))
        .routes(routes!(sync::test_connection))
        .routes(routes!(sync::sync_one))
        .routes(routes!(sync::test_account))
        .routes(routes!(sync::resume))
        .routes(routes!(write::set_primary))
        .routes(routes!(read::stats))
        .routes(routes!(read::logs))
}

/// The integration, if the `integrations` table lists it and a marketplace adapter implements it.
pub async fn known_integration(state: &AppState, integration_id: &str) -> Result<Integration> {
    integrations::get(&state.pool, integration_id)
        .await?
        .filter(|i| Marketplace::of(&i.integration_id).is_some())
        .ok_or_else(|| {
            let known: Vec<String> = Marketplace::ALL.iter().map(|m| format!("`{}`", m.id())).collect();
            ApiError::NotFound(format!(
                "unknown integration `{integration_id}`; the implemented ones are {}",
                known.join(", ")
            ))
        })
}

/// Refuses credentials typed in for an integration whose shops connect through the marketplace's
/// consent page.
pub fn form_integration(integration_id: &str) -> Result<()> {
    match Marketplace::of(integration_id).map(Marketplace::connect) {
        Some(Connect::Consent) => Err(ApiError::Validation(vec![crate::error::FieldError {
            field: "credentials".into(),
            reason: format!(
                "shops of `{integration_id}` connect through the marketplace's consent page: \
                 POST /api/integrations/{integration_id}/authorizations"
            ),
        }])),
        _ => Ok(()),
    }
}

/// One page of the accounts the caller can see, each with its figures, without the list's summary (for
/// the web console).
pub(crate) async fn view_list(
    state: &AppState,
    user: &crate::auth::AuthUser,
    integration_id: &str,
    page: i64,
) -> Result<read::AccountPage> {
    let params = input::ListParams {
        page: Some(page),
        per_page: Some(50),
        sort: None,
        order: None,
        status: None,
        enabled: None,
    };
    read::account_page(state, user, integration_id, params).await
}

/// The list's summary over every account the caller can see (for the web console).
pub(crate) async fn summary(
    state: &AppState,
    visible: Option<&[ocean_core::domain::AccountId]>,
    integration_id: &str,
) -> Result<Summary> {
    Ok(ocean_core::db::reports::totals(&state.pool, integration_id, visible)
        .await?
        .into())
}

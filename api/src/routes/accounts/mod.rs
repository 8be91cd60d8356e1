//! `/api/integrations/{integration_id}/accounts`: the account API of the design.

mod input;
mod read;
mod sync;
mod view;
mod write;

use ocean_shared::db::integrations::{self, Integration};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use view::{AccountView, LogView};

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

/// The integration, if it is one with an implemented marketplace (only `tokopedia` today).
pub async fn known_integration(state: &AppState, integration_id: &str) -> Result<Integration> {
    integrations::get(&state.pool, integration_id)
        .await?
        .filter(|i| i.integration_id == "tokopedia")
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "unknown integration `{integration_id}`; the implemented one is `tokopedia`"
            ))
        })
}

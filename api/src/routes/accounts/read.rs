//! Reading accounts: list, one account, stats, logs.

use axum::{
    Json,
    extract::{Path, State},
};
use ocean_core::{
    db::{
        accounts, logs, reports,
        roles::{self, Role},
    },
    domain::AccountId,
};

use super::{
    input::{ListParams, LogParams},
    known_integration,
    view::{AccountList, AccountStatsView, AccountView, LogPage},
};
use crate::{
    AppState,
    auth::AuthUser,
    error::Result,
    openapi::{ApiResponse, ErrorBody, Pagination},
    permissions::account_for,
    query::Query,
    routes::ok,
};

/// Accounts the caller can see, one page, with per-account stats and a summary over all of them.
#[utoipa::path(get, path = "/api/integrations/{integration_id}/accounts", tag = "accounts",
    params(("integration_id" = String, Path, description = "e.g. `tokopedia`"), ListParams),
    responses(
        (status = 200, body = ApiResponse<AccountList>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<ApiResponse<AccountList>>> {
    let page = account_page(&state, &user, &integration_id, params).await?;
    let totals = reports::totals(&state.pool, &integration_id, page.visible.as_deref()).await?;
    Ok(ok(AccountList {
        accounts: page.accounts,
        summary: totals.into(),
        pagination: page.pagination,
    }))
}

/// One page of the accounts a caller can see, each with its own figures.
pub(crate) struct AccountPage {
    pub accounts: Vec<AccountView>,
    pub pagination: Pagination,
    /// The accounts the caller holds a role on; `None` for global admins, who see all.
    pub visible: Option<Vec<AccountId>>,
}

/// The list without its summary: the summary aggregates every visible account's products and orders,
/// which the console's live refresh does not need every 2 s.
pub(crate) async fn account_page(
    state: &AppState,
    user: &AuthUser,
    integration_id: &str,
    params: ListParams,
) -> Result<AccountPage> {
    known_integration(state, integration_id).await?;
    let mut query = params.validate()?;
    // Without the global admin role, a caller sees only the accounts they hold a role on.
    let roles = if user.0.is_admin {
        None
    } else {
        Some(roles::roles_in_integration(&state.pool, user.0.id, integration_id).await?)
    };
    let visible: Option<Vec<AccountId>> = roles.as_ref().map(|r| r.iter().map(|(id, _)| *id).collect());
    query.only = visible.clone();
    let (page, total) = accounts::list_page(&state.pool, integration_id, &query).await?;
    let page_ids: Vec<AccountId> = page.iter().map(|a| a.id).collect();
    let stats = reports::account_stats(&state.pool, integration_id, Some(&page_ids)).await?;
    let role_of = |a: &ocean_core::domain::Account| match &roles {
        None => Role::Admin,
        Some(r) => r
            .iter()
            .find(|(id, _)| *id == a.id)
            .map_or(Role::Viewer, |(_, role)| *role),
    };
    let accounts = page
        .iter()
        .map(|a| AccountView::new(a, stats.iter().find(|s| s.account_id == a.id), role_of(a).as_str()))
        .collect();
    Ok(AccountPage {
        accounts,
        pagination: Pagination {
            page: query.page,
            per_page: query.per_page,
            total,
        },
        visible,
    })
}

/// One account.
#[utoipa::path(get, path = "/api/integrations/{integration_id}/accounts/{id}", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1, description = "account id")),
    responses(
        (status = 200, body = ApiResponse<AccountView>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_account(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<AccountView>>> {
    known_integration(&state, &integration_id).await?;
    let (account, role) = account_for(&state, &user, &integration_id, &id, Role::Viewer).await?;
    let stats = reports::account_stats(&state.pool, &integration_id, Some(&[account.id])).await?;
    Ok(ok(AccountView::new(
        &account,
        stats.iter().find(|s| s.account_id == account.id),
        role.as_str(),
    )))
}

/// The account's figures, with today against yesterday.
#[utoipa::path(get, path = "/api/integrations/{integration_id}/accounts/{id}/stats", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<AccountStatsView>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<AccountStatsView>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Viewer).await?;
    let stats = reports::account_stats(&state.pool, &integration_id, Some(&[account.id])).await?;
    Ok(ok(AccountStatsView::new(
        &account,
        stats.iter().find(|s| s.account_id == account.id),
    )))
}

/// The account's sync and audit history, newest first.
#[utoipa::path(get, path = "/api/integrations/{integration_id}/accounts/{id}/logs", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1), LogParams),
    responses(
        (status = 200, body = ApiResponse<LogPage>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn logs(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
    Query(params): Query<LogParams>,
) -> Result<Json<ApiResponse<LogPage>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Viewer).await?;
    let query = params.validate()?;
    let (entries, total) = logs::page(&state.pool, account.id, &query).await?;
    Ok(ok(LogPage {
        logs: entries.into_iter().map(Into::into).collect(),
        pagination: Pagination {
            page: query.page,
            per_page: query.per_page,
            total,
        },
    }))
}

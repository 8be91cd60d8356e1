//! `/api/integrations/{integration_id}/accounts/{id}/access`: who holds which role on an account
//! (account admins and global admins manage it).

use axum::{
    Json,
    extract::{Path, State},
};
use ocean_core::db::{
    logs,
    roles::{self, Role},
    users,
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
    permissions::account_for,
    routes::ok,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, grant))
        .routes(routes!(revoke))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub user_id: i64,
    pub username: String,
    /// `viewer`, `editor` or `admin`.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Body of `PUT .../access`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GrantRequest {
    #[schema(minimum = 1)]
    pub user_id: Option<i64>,
    /// `viewer`, `editor` or `admin`.
    #[schema(pattern = "^(viewer|editor|admin)$")]
    pub role: Option<String>,
}

/// Roles held on the account (account admin).
#[utoipa::path(get, path = "/api/integrations/{integration_id}/accounts/{id}/access", tag = "access",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<Vec<GrantView>>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<Vec<GrantView>>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Admin).await?;
    let grants = roles::grants(&state.pool, account.id).await?;
    Ok(ok(grants
        .into_iter()
        .map(|g| GrantView {
            user_id: g.user_id,
            username: g.username,
            role: g.role,
            created_at: g.created_at,
        })
        .collect()))
}

/// Gives a user a role on the account, replacing any earlier one (account admin).
///
/// A global admin may give a role to any user. An account admin, who cannot list users, may give one only
/// to a user who already holds a role on an account they administer (a user they see in the access lists
/// of their accounts), e.g. to add a colleague from another shop or to change someone's role. Any other id,
/// existing or not, answers the same 422 on `user_id`, so granting does not reveal which users exist or
/// their usernames.
#[utoipa::path(put, path = "/api/integrations/{integration_id}/accounts/{id}/access", tag = "access",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    request_body = GrantRequest,
    responses(
        (status = 200, body = ApiResponse<Vec<GrantView>>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
    AppJson(body): AppJson<GrantRequest>,
) -> Result<Json<ApiResponse<Vec<GrantView>>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Admin).await?;
    let mut errors = Vec::new();
    let role = body.role.as_deref().and_then(Role::parse);
    if role.is_none() {
        errors.push(crate::error::FieldError::new("role", "must be viewer, editor or admin"));
    }
    let target = match body.user_id {
        Some(uid) => users::get_user(&state.pool, uid).await?,
        None => None,
    };
    let target = match target {
        Some(t) if user.0.is_admin || roles::shares_administered_account(&state.pool, user.0.id, t.id).await? => {
            Some(t)
        }
        _ => None,
    };
    if target.is_none() {
        errors.push(crate::error::FieldError::new(
            "user_id",
            if user.0.is_admin {
                "must be the id of an existing user"
            } else {
                "must be the id of a user who holds a role on an account you administer"
            },
        ));
    }
    let (Some(role), Some(target)) = (role, target) else {
        return Err(ApiError::Validation(errors));
    };
    let mut tx = state.pool.begin().await?;
    roles::grant(&mut *tx, account.id, target.id, role).await?;
    let details = json!({ "user_id": target.id, "role": role.as_str() });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "access.grant",
        details,
    )
    .await?;
    tx.commit().await?;
    list(State(state), user, Path((integration_id, id))).await
}

/// Removes a user's role on the account (account admin).
#[utoipa::path(delete, path = "/api/integrations/{integration_id}/accounts/{id}/access/{user_id}", tag = "access",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1), ("user_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<Vec<GrantView>>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id, user_id)): Path<(String, String, String)>,
) -> Result<Json<ApiResponse<Vec<GrantView>>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Admin).await?;
    let user_id: i64 = user_id
        .parse()
        .map_err(|_| ApiError::validation("user_id", "must be an integer"))?;
    let mut tx = state.pool.begin().await?;
    if !roles::revoke(&mut *tx, account.id, user_id).await? {
        return Err(ApiError::NotFound(format!(
            "user {user_id} holds no role on account {}",
            account.id
        )));
    }
    let details = json!({ "user_id": user_id });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "access.revoke",
        details,
    )
    .await?;
    tx.commit().await?;
    list(State(state), user, Path((integration_id, id))).await
}

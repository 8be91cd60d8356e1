//! `/api/users`: users and their API tokens. Global admins manage them; anyone can read `me`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use ocean_core::db::{self, logs, users};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, FieldError, Result},
    extract::AppJson,
    openapi::{ApiResponse, ErrorBody},
    permissions::require_global_admin,
    routes::ok,
    validation,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(me))
        .routes(routes!(list_tokens, issue_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    /// Global admins hold the admin role on every account.
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::UserRecord> for UserView {
    fn from(u: users::UserRecord) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            is_admin: u.is_admin,
            created_at: u.created_at,
        }
    }
}

/// Body of `POST /api/users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    /// 1 to 100 characters of `a-z 0-9 . _ - @`.
    #[schema(pattern = "^[a-z0-9._@-]{1,100}$", min_length = 1, max_length = 100)]
    pub username: Option<String>,
    #[schema(max_length = 255)]
    pub display_name: Option<String>,
    /// Default false.
    pub is_admin: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token. `token` is shown this once; only its digest is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /api/users/{id}/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueToken {
    /// A label, e.g. `console` or `ci`; default `default`.
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/users/me", tag = "users",
    responses((status = 200, body = ApiResponse<UserView>), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<ApiResponse<UserView>>> {
    let record = users::get_user(&state.pool, user.0.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(ok(record.into()))
}

/// Every user (global admins).
#[utoipa::path(get, path = "/api/users", tag = "users",
    responses((status = 200, body = ApiResponse<Vec<UserView>>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, user: AuthUser) -> Result<Json<ApiResponse<Vec<UserView>>>> {
    require_global_admin(&user)?;
    Ok(ok(users::list_users(&state.pool)
        .await?
        .into_iter()
        .map(Into::into)
        .collect()))
}

/// Creates a user (global admins). Give them access to accounts with `PUT .../accounts/{id}/access` and a
/// token with `POST /api/users/{id}/tokens`.
#[utoipa::path(post, path = "/api/users", tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, body = ApiResponse<UserView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(body): AppJson<CreateUser>,
) -> Result<(StatusCode, Json<ApiResponse<UserView>>)> {
    require_global_admin(&user)?;
    let username = body.username.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c);
    if username.is_empty() || username.len() > 100 || !username.chars().all(valid) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "username",
            "must be 1 to 100 characters of a-z, 0-9, '.', '_', '-', '@'",
        )]));
    }
    if let Some(display_name) = body.display_name.as_deref() {
        if display_name.chars().count() > 255 {
            return Err(ApiError::validation("display_name", "must be at most 255 characters"));
        }
        validation::no_nul(display_name).map_err(|reason| ApiError::validation("display_name", reason))?;
    }
    let mut tx = state.pool.begin().await?;
    let created = users::create_user(
        &mut *tx,
        &username,
        body.display_name.as_deref(),
        body.is_admin.unwrap_or(false),
    )
    .await
    .map_err(|e| match db::violated_constraint(&e) {
        Some("users_username_key") => ApiError::Conflict {
            code: "user_exists",
            message: format!("user `{username}` already exists"),
        },
        _ => e.into(),
    })?;
    let details = json!({ "user_id": created.id, "username": created.username, "is_admin": created.is_admin });
    logs::insert_audit(&mut *tx, None, None, Some(user.0.id), "user.create", details).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ok(created.into())))
}

/// A user's tokens, without their values (global admins).
#[utoipa::path(get, path = "/api/users/{id}/tokens", tag = "users",
    params(("id" = i64, Path, minimum = 1, description = "user id")),
    responses(
        (status = 200, body = ApiResponse<Vec<TokenView>>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ApiResponse<Vec<TokenView>>>> {
    require_global_admin(&user)?;
    let target = target_user(&state, &id).await?;
    let tokens = users::list_tokens(&state.pool, target.id).await?;
    Ok(ok(tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        })
        .collect()))
}

/// Issues a token for a user (global admins); the answer carries it once.
#[utoipa::path(post, path = "/api/users/{id}/tokens", tag = "users",
    params(("id" = i64, Path, minimum = 1, description = "user id")),
    request_body = IssueToken,
    responses(
        (status = 201, body = ApiResponse<IssuedToken>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    AppJson(body): AppJson<IssueToken>,
) -> Result<(StatusCode, Json<ApiResponse<IssuedToken>>)> {
    require_global_admin(&user)?;
    let target = target_user(&state, &id).await?;
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("default");
    if name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be at most 100 characters"));
    }
    validation::no_nul(name).map_err(|reason| ApiError::validation("name", reason))?;
    let mut tx = state.pool.begin().await?;
    let (record, token) = users::issue_token(&mut *tx, target.id, name).await?;
    let details = json!({ "user_id": target.id, "token_id": record.id, "name": record.name });
    logs::insert_audit(&mut *tx, None, None, Some(user.0.id), "token.issue", details).await?;
    tx.commit().await?;
    let issued = IssuedToken {
        id: record.id,
        name: record.name,
        token,
        created_at: record.created_at,
    };
    Ok((StatusCode::CREATED, ok(issued)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: i64,
}

/// Revokes a token (global admins); it stops working at once.
#[utoipa::path(delete, path = "/api/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = i64, Path, minimum = 1, description = "user id"), ("token_id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<Revoked>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<Revoked>>> {
    require_global_admin(&user)?;
    let target = target_user(&state, &id).await?;
    let token_id: i64 = token_id
        .parse()
        .map_err(|_| ApiError::validation("token_id", "must be an integer"))?;
    let mut tx = state.pool.begin().await?;
    if !users::revoke_token(&mut *tx, target.id, token_id).await? {
        return Err(ApiError::NotFound(format!(
            "user {} has no live token {token_id}",
            target.id
        )));
    }
    let details = json!({ "user_id": target.id, "token_id": token_id });
    logs::insert_audit(&mut *tx, None, None, Some(user.0.id), "token.revoke", details).await?;
    tx.commit().await?;
    Ok(ok(Revoked { revoked: token_id }))
}

async fn target_user(state: &AppState, raw: &str) -> Result<users::UserRecord> {
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::validation("id", "must be an integer user id"))?;
    users::get_user(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))
}

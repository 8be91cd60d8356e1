//! Changing accounts: create, update, delete, set primary. Every change writes an audit entry in the same
//! transaction; audit details never carry secret values.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use ocean_core::db::{self, accounts, logs, roles::Role};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{
    form_integration,
    input::{CreateAccount, UpdateAccount},
    known_integration,
    view::AccountView,
};
use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, Result},
    extract::AppJson,
    openapi::{ApiResponse, ErrorBody},
    permissions::{account_for, require_global_admin, role_on},
    routes::ok,
};

/// Maps the account table's constraints to client errors.
fn constraint_error(e: sqlx::Error, identifier: &str) -> ApiError {
    match db::violated_constraint(&e) {
        Some("integration_accounts_integration_id_account_identifier_key") => ApiError::Conflict {
            code: "account_exists",
            message: format!("an account with identifier `{identifier}` already exists"),
        },
        Some("uq_integration_accounts_one_primary") => ApiError::Conflict {
            code: "primary_conflict",
            message: "another request changed the primary account at the same time; try again".into(),
        },
        _ => e.into(),
    }
}

/// Adds an account (global admins). The integration's first account becomes primary.
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts", tag = "accounts",
    params(("integration_id" = String, Path)),
    request_body = CreateAccount,
    responses(
        (status = 201, body = ApiResponse<AccountView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    AppJson(body): AppJson<CreateAccount>,
) -> Result<(StatusCode, Json<ApiResponse<AccountView>>)> {
    known_integration(&state, &integration_id).await?;
    require_global_admin(&user)?;
    form_integration(&integration_id)?;
    let new = body.validate(&integration_id)?;
    let mut tx = state.pool.begin().await?;
    let account = accounts::insert(&mut tx, &state.keyring, &new)
        .await
        .map_err(|e| constraint_error(e, &new.account_identifier))?;
    let audit = json!({ "account_name": account.account_name, "account_identifier": account.account_identifier });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.create",
        audit,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id = %account.id, "account created");
    Ok((
        StatusCode::CREATED,
        ok(AccountView::new(&account, None, Role::Admin.as_str())),
    ))
}

/// Changes an account's settings (editor) or credentials (account admin). Omitted fields keep their values.
#[utoipa::path(put, path = "/api/integrations/{integration_id}/accounts/{id}", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    request_body = UpdateAccount,
    responses(
        (status = 200, body = ApiResponse<AccountView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
    AppJson(body): AppJson<UpdateAccount>,
) -> Result<Json<ApiResponse<AccountView>>> {
    known_integration(&state, &integration_id).await?;
    if body.changes_credentials() {
        form_integration(&integration_id)?;
    }
    let needed = if body.changes_credentials() {
        Role::Admin
    } else {
        Role::Editor
    };
    // Identifiers are unique across the integration: a 409 for a taken one would tell a caller about
    // accounts they cannot see, so only global admins (who see all) change them.
    if body.account_identifier.is_some() {
        require_global_admin(&user)?;
    }
    let (account, role) = account_for(&state, &user, &integration_id, &id, needed).await?;
    let changed_fields = changed_fields(&body);
    let update = body.validate()?;
    let identifier = update.account_identifier.clone().unwrap_or_default();
    let mut tx = state.pool.begin().await?;
    let updated = accounts::update(&mut *tx, &state.keyring, account.id, &update)
        .await
        .map_err(|e| constraint_error(e, &identifier))?
        .ok_or_else(|| ApiError::NotFound(format!("account {} not found", account.id)))?;
    let audit = json!({ "changed": changed_fields, "secret_replaced": update.secrets.is_some() });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.update",
        audit,
    )
    .await?;
    tx.commit().await?;
    Ok(ok(AccountView::new(&updated, None, role.as_str())))
}

/// Names of the fields an update sets (for the audit entry; values are not recorded).
fn changed_fields(body: &UpdateAccount) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut note = |set: bool, name| {
        if set {
            fields.push(name);
        }
    };
    note(body.account_name.is_some(), "account_name");
    note(body.account_identifier.is_some(), "account_identifier");
    note(body.credentials.is_some(), "credentials");
    note(body.enabled.is_some(), "enabled");
    note(body.auto_sync.is_some(), "auto_sync");
    note(body.sync_interval_minutes.is_some(), "sync_interval_minutes");
    note(body.features.is_some(), "features");
    note(body.metadata.is_some(), "metadata");
    fields
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: i64,
    /// When the deleted account was primary: the account that became primary (the oldest remaining one,
    /// enabled accounts first). Null if none is left, or if it is an account you hold no role on.
    pub new_primary: Option<i64>,
}

/// Removes an account (account admin) with its synced data and mappings; its logs stay.
#[utoipa::path(delete, path = "/api/integrations/{integration_id}/accounts/{id}", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<Deleted>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<Deleted>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Admin).await?;
    let mut tx = state.pool.begin().await?;
    // Written first: the delete then clears its account_id, keeping the entry (and its details) as history.
    let audit = json!({ "account_id": account.id, "account_name": account.account_name,
                        "account_identifier": account.account_identifier });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.delete",
        audit,
    )
    .await?;
    let new_primary = accounts::delete(&mut tx, &integration_id, account.id).await?;
    tx.commit().await?;
    tracing::info!(account_id = %account.id, "account deleted");
    // Name the new primary only to a caller who may see it.
    let new_primary = match new_primary {
        Some(id) if role_on(&state, &user, id).await?.is_some() => Some(id.0),
        _ => None,
    };
    Ok(ok(Deleted {
        deleted: account.id.0,
        new_primary,
    }))
}

/// Makes the account the integration's primary one (account admin); the previous primary is demoted in
/// the same transaction.
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/{id}/set-primary", tag = "accounts",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<AccountView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_primary(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<AccountView>>> {
    known_integration(&state, &integration_id).await?;
    let (account, role) = account_for(&state, &user, &integration_id, &id, Role::Admin).await?;
    let mut tx = state.pool.begin().await?;
    let updated = accounts::set_primary(&mut tx, &integration_id, account.id)
        .await
        .map_err(|e| constraint_error(e, &account.account_identifier))?
        .ok_or_else(|| ApiError::NotFound(format!("account {} not found", account.id)))?;
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.set_primary",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(ok(AccountView::new(&updated, None, role.as_str())))
}

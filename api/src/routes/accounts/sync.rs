//! Sync triggers and connection tests.

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use ocean_core::{
    db::{
        accounts, intents, logs,
        roles::{self, Role},
    },
    domain::{AccountId, SyncTrigger},
    feed,
    marketplace::{adapter, tokopedia},
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{form_integration, input::TestConnection, known_integration};
use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, Result},
    extract::AppJson,
    openapi::{ApiResponse, ErrorBody},
    permissions::{account_for, require_global_admin},
    routes::ok,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncAccepted {
    pub account_id: i64,
    pub queued: bool,
    /// When the pending request was first made; repeated requests before it starts share it.
    pub requested_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncAllAccepted {
    /// Accounts whose sync was requested.
    pub queued: usize,
    /// 0 when the platform setting "sync all accounts simultaneously" is on; otherwise the accounts' syncs
    /// come due one after another (at most a second apart) over this many seconds.
    pub spread_over_secs: u64,
}

/// Queues a sync of one account (editor). A disabled account answers 409 `account_disabled`.
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/{id}/sync", tag = "sync",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 202, body = ApiResponse<SyncAccepted>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sync_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<ApiResponse<SyncAccepted>>)> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Editor).await?;
    let disabled = || ApiError::Conflict {
        code: "account_disabled",
        message: format!("account {} is disabled; enable it before syncing", account.id),
    };
    if !account.enabled {
        return Err(disabled());
    }
    if let Some(reason) = account.paused_at.and(account.paused_reason.as_deref()) {
        return Err(paused(account.id, reason));
    }
    // The request and its audit entry commit together; only then is the job pushed.
    let mut tx = state.pool.begin().await?;
    let request = intents::request_sync(&mut *tx, account.id, SyncTrigger::Manual)
        .await?
        .ok_or_else(disabled)?;
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.sync",
        json!({ "request": request.seq }),
    )
    .await?;
    tx.commit().await?;
    // The fast path: no wait for a scheduler tick. Nothing is pushed while the account syncs (the
    // running sync feeds this request when it ends) or when a job is already out for it; if Redis is
    // unavailable the request waits in Postgres and the scheduler feeds it at its first tick after.
    if let Err(e) = feed::feed_account(&state.pool, &state.queue, account.id).await {
        tracing::warn!(account_id = %account.id, error.message = %e, "could not enqueue; the scheduler feeds the request");
    }
    let accepted = SyncAccepted {
        account_id: account.id.0,
        queued: true,
        requested_at: request.requested_at,
    };
    Ok((StatusCode::ACCEPTED, ok(accepted)))
}

fn paused(id: AccountId, reason: &str) -> ApiError {
    ApiError::Conflict {
        code: "account_paused",
        message: format!(
            "account {id} is paused ({reason}); resume it with POST .../accounts/{id}/resume or change its credentials or settings"
        ),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Resumed {
    pub account_id: i64,
    /// False when the account was not paused.
    pub resumed: bool,
}

/// Lifts a pause that repeated failures put on the account (editor); it is due again at once.
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/{id}/resume", tag = "sync",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, body = ApiResponse<Resumed>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<Resumed>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Editor).await?;
    let mut tx = state.pool.begin().await?;
    let resumed = accounts::resume(&mut *tx, account.id).await?;
    if resumed {
        logs::insert_audit(
            &mut *tx,
            Some(&integration_id),
            Some(account.id),
            Some(user.0.id),
            "account.resume",
            json!({}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok(Resumed {
        account_id: account.id.0,
        resumed,
    }))
}

/// Queues a sync of every enabled account the caller may sync (editor or above; global admins: all).
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/sync-all", tag = "sync",
    params(("integration_id" = String, Path)),
    responses(
        (status = 202, body = ApiResponse<SyncAllAccepted>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sync_all(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
) -> Result<(StatusCode, Json<ApiResponse<SyncAllAccepted>>)> {
    let integration = known_integration(&state, &integration_id).await?;
    let only: Option<Vec<AccountId>> = if user.0.is_admin {
        None
    } else {
        let roles = roles::roles_in_integration(&state.pool, user.0.id, &integration_id).await?;
        let syncable: Vec<AccountId> = roles
            .into_iter()
            .filter(|(_, r)| *r >= Role::Editor)
            .map(|(id, _)| id)
            .collect();
        if syncable.is_empty() {
            return Err(ApiError::Forbidden(
                "you hold the editor role on no account of this integration".into(),
            ));
        }
        Some(syncable)
    };
    // Only intents are recorded here; the scheduler feeds them to the queue as it has room, so a sync-all
    // over thousands of accounts answers at once and never floods Redis.
    let spread = if integration.sync_all_simultaneously {
        Duration::ZERO
    } else {
        state.sync_all_spread
    };
    let mut tx = state.pool.begin().await?;
    let requests = intents::request_sync_all(&mut *tx, &integration_id, only.as_deref(), spread).await?;
    let details = json!({ "accounts": requests.len() });
    logs::insert_audit(
        &mut *tx,
        Some(&integration_id),
        None,
        Some(user.0.id),
        "accounts.sync_all",
        details,
    )
    .await?;
    tx.commit().await?;
    let accepted = SyncAllAccepted {
        queued: requests.len(),
        // Accounts come due at most a second apart, so the spread is shorter for small sync-alls.
        spread_over_secs: spread.as_secs().min(requests.len().saturating_sub(1) as u64),
    };
    Ok((StatusCode::ACCEPTED, ok(accepted)))
}

/// One step of a connection test.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub ok: bool,
    pub message: String,
}

/// What a connection test found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionReport {
    /// Both steps worked.
    pub ok: bool,
    /// Obtaining an access token with the client id and secret.
    pub token: Check,
    /// Reading the shop's info with that token (the shop must be linked to the app).
    pub shop: Check,
    pub shop_name: Option<String>,
}

impl From<adapter::Check> for Check {
    fn from(c: adapter::Check) -> Self {
        Self {
            ok: c.ok,
            message: c.message,
        }
    }
}

impl From<adapter::ConnectionReport> for ConnectionReport {
    fn from(r: adapter::ConnectionReport) -> Self {
        Self {
            ok: r.ok,
            token: r.token.into(),
            shop: r.shop.into(),
            shop_name: r.shop_name,
        }
    }
}

/// Tests credentials without saving anything (global admins, who add accounts).
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/test-connection", tag = "sync",
    params(("integration_id" = String, Path)),
    request_body = TestConnection,
    responses(
        (status = 200, description = "the report; `ok` is false when a step failed", body = ApiResponse<ConnectionReport>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_connection(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    AppJson(body): AppJson<TestConnection>,
) -> Result<Json<ApiResponse<ConnectionReport>>> {
    known_integration(&state, &integration_id).await?;
    require_global_admin(&user)?;
    form_integration(&integration_id)?;
    let (creds, secret) = body.validate()?;
    Ok(ok(tokopedia::test_connection(
        &state.marketplaces.tokopedia,
        &creds,
        secret,
    )
    .await
    .into()))
}

/// Tests the account's stored credentials (editor).
#[utoipa::path(post, path = "/api/integrations/{integration_id}/accounts/{id}/test", tag = "sync",
    params(("integration_id" = String, Path), ("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the report; `ok` is false when a step failed", body = ApiResponse<ConnectionReport>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn test_account(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<ApiResponse<ConnectionReport>>> {
    known_integration(&state, &integration_id).await?;
    let (account, _) = account_for(&state, &user, &integration_id, &id, Role::Editor).await?;
    let report: ConnectionReport = state
        .marketplaces
        .test(&state.pool, &state.keyring, &account)
        .await
        .into();
    let details = json!({ "ok": report.ok });
    logs::insert_audit(
        &state.pool,
        Some(&integration_id),
        Some(account.id),
        Some(user.0.id),
        "account.test",
        details,
    )
    .await?;
    Ok(ok(report))
}

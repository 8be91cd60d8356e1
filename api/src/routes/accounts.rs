//! `/api/integrations/{integration_id}/accounts`: list, create, read, sync one, sync all.

use axum::{
    Json, Router,
    extract::{Path, State, rejection::JsonRejection},
    http::StatusCode,
    routing::{get, post},
};
use ocean_shared::{
    db::{self, accounts, logs, reports},
    domain::{AccountId, SyncTrigger},
    queue::SyncJob,
};
use serde_json::{Value, json};

use super::account_input::CreateAccount;
use super::account_view::{account_view, summary};
use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, Result, ok},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/sync-all", post(sync_all))
        .route("/{id}", get(read))
        .route("/{id}/sync", post(sync_one))
}

/// Only integrations with an implemented marketplace client have accounts.
async fn known_integration(state: &AppState, integration_id: &str) -> Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM integrations WHERE integration_id = $1)")
            .bind(integration_id)
            .fetch_one(&state.pool)
            .await?;
    if exists && integration_id == "tokopedia" {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "unknown integration `{integration_id}`; the implemented one is `tokopedia`"
        )))
    }
}

fn parse_account_id(raw: &str) -> Result<AccountId> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(AccountId)
        .ok_or_else(|| ApiError::validation("id", "must be a positive integer account id"))
}

async fn find_account(
    state: &AppState,
    integration_id: &str,
    raw_id: &str,
) -> Result<accounts::Account> {
    let id = parse_account_id(raw_id)?;
    accounts::get(&state.pool, id)
        .await?
        .filter(|a| a.integration_id == integration_id)
        .ok_or_else(|| ApiError::NotFound(format!("account {id} not found")))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
) -> Result<Json<Value>> {
    user.require_admin()?;
    known_integration(&state, &integration_id).await?;
    let all = accounts::list(&state.pool, &integration_id).await?;
    let stats = reports::account_stats(&state.pool, &integration_id).await?;
    let views: Vec<Value> = all
        .iter()
        .map(|a| account_view(a, stats.iter().find(|s| s.account_id == a.id)))
        .collect();
    Ok(ok(
        json!({ "accounts": views, "summary": summary(&all, &stats) }),
    ))
}

async fn read(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<Json<Value>> {
    user.require_admin()?;
    known_integration(&state, &integration_id).await?;
    let account = find_account(&state, &integration_id, &id).await?;
    let stats = reports::account_stats(&state.pool, &integration_id).await?;
    Ok(ok(account_view(
        &account,
        stats.iter().find(|s| s.account_id == account.id),
    )))
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    body: std::result::Result<Json<CreateAccount>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>)> {
    let actor = user.require_admin()?;
    known_integration(&state, &integration_id).await?;
    let Json(body) = body?;
    let new = body.validate(&integration_id)?;
    let mut tx = state.pool.begin().await?;
    let account = accounts::insert(&mut tx, &state.keyring, &new)
        .await
        .map_err(|e| match db::violated_constraint(&e) {
            Some("integration_accounts_integration_id_account_identifier_key") => {
                ApiError::Conflict {
                    code: "account_exists",
                    message: format!(
                        "an account with identifier `{}` already exists",
                        new.account_identifier
                    ),
                }
            }
            Some("uq_integration_accounts_one_primary") => ApiError::Conflict {
                code: "primary_conflict",
                message: "another request changed the primary account at the same time; try again"
                    .into(),
            },
            _ => e.into(),
        })?;
    let audit = json!({ "account_name": account.account_name, "account_identifier": account.account_identifier });
    logs::insert_audit(
        &mut *tx,
        &integration_id,
        Some(account.id),
        actor.id,
        "account.create",
        audit,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id = %account.id, "account created");
    Ok((StatusCode::CREATED, ok(account_view(&account, None))))
}

async fn sync_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path((integration_id, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>)> {
    let actor = user.require_admin()?;
    known_integration(&state, &integration_id).await?;
    let account = find_account(&state, &integration_id, &id).await?;
    if !account.enabled {
        return Err(ApiError::Conflict {
            code: "account_disabled",
            message: format!(
                "account {} is disabled; enable it before syncing",
                account.id
            ),
        });
    }
    let requested_at = accounts::request_sync(&state.pool, account.id, SyncTrigger::Manual)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("account {} not found", account.id)))?;
    logs::insert_audit(
        &state.pool,
        &integration_id,
        Some(account.id),
        actor.id,
        "account.sync",
        json!({}),
    )
    .await?;
    enqueue(&state, account.id, SyncTrigger::Manual, requested_at).await;
    Ok((
        StatusCode::ACCEPTED,
        ok(json!({ "account_id": account.id, "queued": true, "requested_at": requested_at })),
    ))
}

async fn sync_all(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
) -> Result<(StatusCode, Json<Value>)> {
    let actor = user.require_admin()?;
    known_integration(&state, &integration_id).await?;
    let requests = accounts::request_sync_all(&state.pool, &integration_id).await?;
    let details = json!({ "accounts": requests.len() });
    logs::insert_audit(
        &state.pool,
        &integration_id,
        None,
        actor.id,
        "accounts.sync_all",
        details,
    )
    .await?;
    for request in &requests {
        enqueue(
            &state,
            request.id,
            SyncTrigger::SyncAll,
            request.requested_at,
        )
        .await;
    }
    Ok((
        StatusCode::ACCEPTED,
        ok(json!({ "queued": requests.len() })),
    ))
}

/// Pushes the job for a request already recorded in Postgres. If Redis is unavailable the request is not
/// lost: the scheduler re-emits requests whose job has not started.
async fn enqueue(
    state: &AppState,
    account_id: AccountId,
    trigger: SyncTrigger,
    requested_at: chrono::DateTime<chrono::Utc>,
) {
    let job = SyncJob {
        account_id,
        trigger,
        requested_at,
    };
    // The same pending request always gets the same key, so repeated clicks enqueue it once.
    let key = format!("request:{account_id}:{}", requested_at.timestamp_millis());
    if let Err(e) = state.queue.push(job, Some(key)).await {
        tracing::warn!(%account_id, error.message = %e, "could not enqueue; the scheduler will re-emit the request");
    }
}

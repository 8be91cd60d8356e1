//! `/api/integrations/{integration_id}/authorizations`: connecting shops of a marketplace whose sellers
//! consent on the marketplace's own page (TikTok Shop). Starting a flow gives the consent URL with a
//! `state` bound to the caller's token (the console binds it to the session); finishing it spends the
//! state, exchanges the code and creates one account per authorized shop, or renews the tokens of an
//! account that already has the shop (Reconnect). A refused consent, a spent, expired or foreign state and
//! a code the marketplace rejects change nothing.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use ocean_core::{
    db::{
        accounts::{self, AccountUpdate, NewAccount},
        consent, intents, logs,
        roles::Role,
    },
    domain::{AccountCredentials, AccountId, Feature, SyncTrigger},
    feed,
    marketplace::{ErrorClass, Marketplace, adapter::Connect, tiktok_shop},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{accounts::known_integration, ok};
use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, FieldError, Result},
    extract::AppJson,
    openapi::{ApiResponse, ErrorBody},
    permissions::{account_for, require_global_admin},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start)).routes(routes!(finish))
}

/// Where to send the seller.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationStarted {
    /// The marketplace's consent page, carrying the `state`.
    pub authorize_url: String,
    /// The state is refused after this.
    pub expires_at: DateTime<Utc>,
}

/// `{}` to connect shops, or the account whose authorization to renew (Reconnect).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StartAuthorization {
    pub account_id: Option<i64>,
    /// Where the consent page returns the seller with `code` and `state` (it must be registered for the
    /// app); default: the configured redirect URL.
    pub redirect_url: Option<String>,
}

/// What the consent page sent back to the redirect URL.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AuthorizationCallback {
    pub state: Option<String>,
    /// The one-time code (`code` on the redirect).
    #[schema(value_type = Option<String>)]
    pub code: Option<SecretString>,
    /// Set instead of `code` when the seller refused (`access_denied`).
    pub error: Option<String>,
}

/// One shop the consent connected.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedShop {
    pub account_id: i64,
    pub account_name: String,
    pub shop_id: String,
    /// The account existed and got new tokens (its pause, if any, is lifted).
    pub renewed: bool,
}

/// Starts connecting shops (global admins), or reconnecting one account (its admins).
#[utoipa::path(post, path = "/api/integrations/{integration_id}/authorizations", tag = "accounts",
    params(("integration_id" = String, Path)),
    request_body = StartAuthorization,
    responses(
        (status = 201, description = "send the seller to `authorize_url`", body = ApiResponse<AuthorizationStarted>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    AppJson(body): AppJson<StartAuthorization>,
) -> Result<(StatusCode, Json<ApiResponse<AuthorizationStarted>>)> {
    let account = body.account_id.map(|id| id.to_string());
    let redirect = body.redirect_url.unwrap_or_default();
    let web_url = |u: axum::http::Uri| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some();
    if !redirect.is_empty() && !redirect.parse().is_ok_and(web_url) {
        return Err(refused("redirect_url", "must be an http(s) URL".into()));
    }
    let binding = api_binding(&user);
    let url = begin(&state, &user, &integration_id, &binding, account.as_deref(), &redirect).await?;
    let started = AuthorizationStarted {
        authorize_url: url,
        expires_at: Utc::now() + chrono::Duration::minutes(consent::STATE_LIFETIME_MINUTES),
    };
    Ok((StatusCode::CREATED, ok(started)))
}

/// Finishes a flow started with the same token: spends the state, exchanges the code, connects the shops.
#[utoipa::path(post, path = "/api/integrations/{integration_id}/authorizations/callback", tag = "accounts",
    params(("integration_id" = String, Path)),
    request_body = AuthorizationCallback,
    responses(
        (status = 201, description = "the shops connected", body = ApiResponse<Vec<ConnectedShop>>),
        (status = 400, description = "unknown, spent, expired or foreign state", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "consent refused, or the code rejected", body = ErrorBody)))]
pub async fn finish(
    State(state): State<AppState>,
    user: AuthUser,
    Path(integration_id): Path<String>,
    AppJson(body): AppJson<AuthorizationCallback>,
) -> Result<(StatusCode, Json<ApiResponse<Vec<ConnectedShop>>>)> {
    let binding = api_binding(&user);
    let shops = complete(&state, &user, &integration_id, &binding, body).await?;
    Ok((StatusCode::CREATED, ok(shops)))
}

/// The integration's consent adapter, or a 4xx saying why there is none.
async fn consent_adapter<'a>(state: &'a AppState, integration_id: &str) -> Result<&'a tiktok_shop::Adapter> {
    known_integration(state, integration_id).await?;
    match Marketplace::of(integration_id) {
        Some(Marketplace::TikTokShop) => state
            .marketplaces
            .tiktok_shop()
            .map_err(|e| ApiError::Unavailable(format!("{e}; an operator must configure it before shops can connect"))),
        Some(m) if m.connect() == Connect::Form => Err(ApiError::BadRequest(format!(
            "shops of `{integration_id}` connect with credentials: POST /api/integrations/{integration_id}/accounts"
        ))),
        _ => Err(ApiError::NotFound(format!("unknown integration `{integration_id}`"))),
    }
}

/// Checks the caller may connect (or reconnect `account`), records the state bound to `binding` and
/// returns the consent URL. `callback` is where the consent page sends the seller back when no redirect
/// URL is configured (the console's callback).
pub(crate) async fn begin(
    state: &AppState,
    user: &AuthUser,
    integration_id: &str,
    binding: &str,
    account: Option<&str>,
    callback: &str,
) -> Result<String> {
    let adapter = consent_adapter(state, integration_id).await?;
    let account_id = match account {
        Some(id) => Some(account_for(state, user, integration_id, id, Role::Admin).await?.0.id),
        None => {
            require_global_admin(user)?;
            None
        }
    };
    let mut tx = state.pool.begin().await?;
    let consent_state = consent::start(&mut tx, integration_id, user.0.id, binding, account_id).await?;
    let details = json!({ "reconnect_of": account_id.map(|a| a.0) });
    logs::insert_audit(
        &mut *tx,
        Some(integration_id),
        account_id,
        Some(user.0.id),
        "authorization.start",
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(adapter.authorize_url(&consent_state, callback))
}

/// Spends the state and connects the shops the code authorizes, in one transaction with their audit rows.
pub(crate) async fn complete(
    state: &AppState,
    user: &AuthUser,
    integration_id: &str,
    binding: &str,
    callback: AuthorizationCallback,
) -> Result<Vec<ConnectedShop>> {
    let adapter = consent_adapter(state, integration_id).await?;
    let stale = || {
        ApiError::BadRequest(
            "this authorization is unknown, already used, expired, or was started in another session; \
             nothing was changed: start again"
                .into(),
        )
    };
    let given = callback.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(stale)?;
    let Some(flow) = consent::take(&state.pool, integration_id, given, binding).await? else {
        return Err(stale());
    };
    if let Some(error) = callback.error.filter(|e| !e.is_empty()) {
        return Err(refused(
            "error",
            format!("the seller did not consent ({error}); nothing was connected"),
        ));
    }
    let code = callback
        .code
        .ok_or_else(|| refused("code", "the marketplace sent no code".into()))?;
    let connections = adapter.connect(&code).await.map_err(|e| match e.class() {
        ErrorClass::Transient | ErrorClass::RateLimited => {
            ApiError::Unavailable(format!("the marketplace could not be reached ({e}); start again"))
        }
        _ => refused(
            "code",
            format!("the marketplace rejected the authorization ({e}); nothing was connected"),
        ),
    })?;
    if connections.is_empty() {
        return Err(refused(
            "code",
            "the consent authorized no shop; nothing was connected".into(),
        ));
    }
    // A Reconnect must bring the account's own shop back; another seller's consent would renew nothing.
    if let Some(id) = flow.account_id {
        let shop = accounts::get(&state.pool, id).await?.map(|a| a.credentials.0.shop_id());
        if let Some(shop) = shop.filter(|s| !connections.iter().any(|c| &c.credentials.shop_id == s)) {
            return Err(refused(
                "code",
                format!("the consent did not include shop {shop}, which this Reconnect is for; nothing was connected"),
            ));
        }
    }
    let mut tx = state.pool.begin().await?;
    let mut shops = Vec::with_capacity(connections.len());
    for connection in connections {
        shops.push(connect_shop(state, &mut tx, user, integration_id, flow.account_id, connection).await?);
    }
    tx.commit().await?;
    for shop in &shops {
        // Without Redis the request waits in Postgres and the scheduler feeds it.
        if let Err(e) = feed::feed_account(&state.pool, &state.queue, AccountId(shop.account_id)).await {
            tracing::warn!(account_id = shop.account_id, error.message = %e, "could not enqueue; the scheduler feeds the request");
        }
    }
    Ok(shops)
}

fn refused(field: &str, reason: String) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        reason,
    }])
}

/// Creates the shop's account, or renews the tokens of the account that has it.
async fn connect_shop(
    state: &AppState,
    tx: &mut sqlx::PgConnection,
    user: &AuthUser,
    integration_id: &str,
    reconnecting: Option<AccountId>,
    connection: tiktok_shop::Connection,
) -> Result<ConnectedShop> {
    let shop_id = connection.credentials.shop_id.clone();
    let identifier = format!("shop_{shop_id}");
    let name = match connection.credentials.shop_name.trim() {
        "" => format!("TikTok Shop {shop_id}"),
        name => name.to_owned(),
    };
    let existing = accounts::find_by_identifier(&mut *tx, integration_id, &identifier).await?;
    let (account, renewed) = match existing {
        Some(account) => {
            let update = AccountUpdate {
                credentials: Some(AccountCredentials::TikTokShop(connection.credentials)),
                secrets: Some(connection.secrets),
                ..AccountUpdate::default()
            };
            let account = accounts::update(&mut *tx, &state.keyring, account.id, &update)
                .await?
                .ok_or_else(|| ApiError::NotFound("the account was removed meanwhile".into()))?;
            (account, true)
        }
        None => {
            let new = NewAccount {
                integration_id: integration_id.to_owned(),
                account_name: name,
                account_identifier: identifier,
                credentials: AccountCredentials::TikTokShop(connection.credentials),
                secrets: connection.secrets,
                enabled: true,
                auto_sync: true,
                sync_interval_minutes: 15,
                features: vec![
                    Feature::ProductManagement,
                    Feature::OrderManagement,
                    Feature::InventorySync,
                    Feature::ShopInfo,
                ],
                is_primary: false,
                metadata: json!({}),
            };
            (accounts::insert(&mut *tx, &state.keyring, &new).await?, false)
        }
    };
    // A connected shop syncs now, not at its next interval.
    intents::request_sync(&mut *tx, account.id, SyncTrigger::Manual).await?;
    let action = if renewed {
        "account.reconnect"
    } else {
        "account.connect"
    };
    let details = json!({ "shop_id": shop_id, "reconnect_of": reconnecting.map(|a| a.0) });
    logs::insert_audit(
        &mut *tx,
        Some(integration_id),
        Some(account.id),
        Some(user.0.id),
        action,
        details,
    )
    .await?;
    Ok(ConnectedShop {
        account_id: account.id.0,
        account_name: account.account_name,
        shop_id,
        renewed,
    })
}

/// An API flow is bound to its user (a token holder has no session); the console binds to the session.
fn api_binding(user: &AuthUser) -> String {
    format!("api-user:{}", user.0.id)
}

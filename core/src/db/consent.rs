//! `consent_states`: the `state` of a marketplace consent redirect. A random value goes to the
//! marketplace and comes back on the callback; only its SHA-256 digest is stored, bound to the console
//! session (or API token) that started the flow, usable once, and only for a few minutes. A callback
//! whose state is unknown, spent, expired or from another session changes nothing.

use sqlx::{FromRow, PgConnection, PgExecutor};

use super::users::{generate_token, hash_token};
use crate::domain::AccountId;

/// How long a seller has to consent.
pub const STATE_LIFETIME_MINUTES: i64 = 10;

/// What a spent state says about the flow it belonged to.
#[derive(Debug, Clone, FromRow)]
pub struct ConsentState {
    pub integration_id: String,
    pub user_id: i64,
    /// The account a Reconnect renews.
    pub account_id: Option<AccountId>,
}

/// Starts a flow: returns the state to send to the marketplace. Spent and expired states are swept.
pub async fn start(
    conn: &mut PgConnection,
    integration_id: &str,
    user_id: i64,
    binding: &str,
    account_id: Option<AccountId>,
) -> Result<String, sqlx::Error> {
    sqlx::query("DELETE FROM consent_states WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *conn)
        .await?;
    let state = generate_token();
    sqlx::query(
        r#"INSERT INTO consent_states (state_hash, integration_id, user_id, binding_hash, account_id, expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6::int))"#,
    )
    .bind(hash_token(&state))
    .bind(integration_id)
    .bind(user_id)
    .bind(hash_token(binding))
    .bind(account_id)
    .bind(STATE_LIFETIME_MINUTES as i32)
    .execute(&mut *conn)
    .await?;
    Ok(state)
}

/// Spends `state` if it is live, unused, of `integration_id` and bound to `binding`; `None` otherwise.
/// Spending is one statement, so two callbacks with one state cannot both pass.
pub async fn take(
    db: impl PgExecutor<'_>,
    integration_id: &str,
    state: &str,
    binding: &str,
) -> Result<Option<ConsentState>, sqlx::Error> {
    sqlx::query_as(
        r#"UPDATE consent_states SET used_at = now()
           WHERE state_hash = $1 AND binding_hash = $2 AND integration_id = $3
             AND used_at IS NULL AND expires_at > now()
           RETURNING integration_id, user_id, account_id"#,
    )
    .bind(hash_token(state))
    .bind(hash_token(binding))
    .bind(integration_id)
    .fetch_optional(db)
    .await
}

//! Who may do what. Global admins hold the admin role on every account; everyone else holds the role of
//! their `integration_account_access` row. An account the caller holds no role on answers 404, exactly as
//! an account that does not exist, so its existence does not leak.

use ocean_core::{
    db::{
        accounts,
        roles::{self, Role},
    },
    domain::{Account, AccountId},
};

use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, Result},
};

/// The caller's role on an account, if any.
pub async fn role_on(state: &AppState, user: &AuthUser, account: AccountId) -> Result<Option<Role>> {
    if user.0.is_admin {
        return Ok(Some(Role::Admin));
    }
    Ok(roles::role_of(&state.pool, user.0.id, account).await?)
}

/// Parses an `{id}` path segment.
pub fn parse_account_id(raw: &str) -> Result<AccountId> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(AccountId)
        .ok_or_else(|| ApiError::validation("id", "must be a positive integer account id"))
}

/// Loads an account of the integration that the caller holds at least `needed` on.
/// No role at all (or no such account) is 404; a weaker role is 403.
pub async fn account_for(
    state: &AppState,
    user: &AuthUser,
    integration_id: &str,
    raw_id: &str,
    needed: Role,
) -> Result<(Account, Role)> {
    let id = parse_account_id(raw_id)?;
    let not_found = || ApiError::NotFound(format!("account {id} not found"));
    let account = accounts::get(&state.pool, id)
        .await?
        .filter(|a| a.integration_id == integration_id)
        .ok_or_else(not_found)?;
    let role = role_on(state, user, id).await?.ok_or_else(not_found)?;
    if role < needed {
        return Err(ApiError::Forbidden(format!(
            "this needs the {} role on account {id}; you have {}",
            needed.as_str(),
            role.as_str()
        )));
    }
    Ok((account, role))
}

/// Only global admins pass.
pub fn require_global_admin(user: &AuthUser) -> Result<()> {
    if user.0.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this needs a global admin".into()))
    }
}

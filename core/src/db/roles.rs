//! Per-account roles (`integration_account_access`). Global admins (`users.is_admin`) hold every role on
//! every account without a row here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor};

use crate::domain::AccountId;

/// What a user may do on one account. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the account, its stats and logs.
    Viewer,
    /// Also changes settings and triggers syncs and connection tests.
    Editor,
    /// Also manages credentials, access, primary choice and deletion.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "editor" => Some(Self::Editor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The user's role on one account, if any.
pub async fn role_of(
    db: impl PgExecutor<'_>,
    user_id: i64,
    account_id: AccountId,
) -> Result<Option<Role>, sqlx::Error> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM integration_account_access WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(db)
            .await?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Every account of the integration the user holds a role on.
pub async fn roles_in_integration(
    db: impl PgExecutor<'_>,
    user_id: i64,
    integration_id: &str,
) -> Result<Vec<(AccountId, Role)>, sqlx::Error> {
    let rows: Vec<(AccountId, String)> = sqlx::query_as(
        r#"SELECT g.account_id, g.role FROM integration_account_access g
           JOIN integration_accounts a ON a.id = g.account_id
           WHERE g.user_id = $1 AND a.integration_id = $2"#,
    )
    .bind(user_id)
    .bind(integration_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, role)| Role::parse(&role).map(|r| (id, r)))
        .collect())
}

/// Whether `user_id` holds a role on some account that `admin_id` holds the admin role on: the users an
/// account admin already sees in the access lists of their accounts.
pub async fn shares_administered_account(
    db: impl PgExecutor<'_>,
    admin_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        r#"SELECT EXISTS (
               SELECT 1 FROM integration_account_access mine
               JOIN integration_account_access theirs ON theirs.account_id = mine.account_id
               WHERE mine.user_id = $1 AND mine.role = 'admin' AND theirs.user_id = $2)"#,
    )
    .bind(admin_id)
    .bind(user_id)
    .fetch_one(db)
    .await
}

/// Gives `user_id` the `role` on the account, replacing an earlier role.
pub async fn grant(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: i64,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"INSERT INTO integration_account_access (account_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role"#,
    )
    .bind(account_id)
    .bind(user_id)
    .bind(role.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Removes the user's role on the account; false if there was none.
pub async fn revoke(db: impl PgExecutor<'_>, account_id: AccountId, user_id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM integration_account_access WHERE account_id = $1 AND user_id = $2")
        .bind(account_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// One grant as listed.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Grant {
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

pub async fn grants(db: impl PgExecutor<'_>, account_id: AccountId) -> Result<Vec<Grant>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT g.user_id, u.username, g.role, g.created_at FROM integration_account_access g
           JOIN users u ON u.id = g.user_id WHERE g.account_id = $1 ORDER BY u.username"#,
    )
    .bind(account_id)
    .fetch_all(db)
    .await
}

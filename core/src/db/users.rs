//! Users and their bearer tokens. Tokens are stored as SHA-256 digests and compared by digest.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgExecutor, PgPool};

/// A signed-in caller.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
}

/// A user as listed by admins.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// A token's metadata (never the token itself).
#[derive(Debug, Clone, FromRow)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new random token: 32 bytes, URL-safe, with a prefix that makes leaked tokens easy to grep for.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ocn_{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub async fn create_user(
    db: impl PgExecutor<'_>,
    username: &str,
    display_name: Option<&str>,
    is_admin: bool,
) -> Result<UserRecord, sqlx::Error> {
    sqlx::query_as(
        r#"INSERT INTO users (username, display_name, is_admin) VALUES ($1, $2, $3)
           RETURNING id, username, display_name, is_admin, created_at"#,
    )
    .bind(username)
    .bind(display_name)
    .bind(is_admin)
    .fetch_one(db)
    .await
}

pub async fn list_users(db: impl PgExecutor<'_>) -> Result<Vec<UserRecord>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, display_name, is_admin, created_at FROM users ORDER BY id")
        .fetch_all(db)
        .await
}

pub async fn get_user(db: impl PgExecutor<'_>, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, display_name, is_admin, created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Issues a new token for the user; the plaintext is returned once and only its digest is stored.
pub async fn issue_token(
    db: impl PgExecutor<'_>,
    user_id: i64,
    name: &str,
) -> Result<(TokenRecord, String), sqlx::Error> {
    let token = generate_token();
    let record = sqlx::query_as(
        r#"INSERT INTO api_tokens (user_id, token_hash, name) VALUES ($1, $2, $3)
           RETURNING id, name, created_at, last_used_at, revoked_at"#,
    )
    .bind(user_id)
    .bind(hash_token(&token))
    .bind(name)
    .fetch_one(db)
    .await?;
    Ok((record, token))
}

pub async fn list_tokens(db: impl PgExecutor<'_>, user_id: i64) -> Result<Vec<TokenRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Revokes one of the user's tokens; false if it does not exist or was already revoked.
pub async fn revoke_token(db: impl PgExecutor<'_>, user_id: i64, token_id: i64) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(token_id)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Makes sure the global admin `username` exists and that `token` signs it in, unless `token` was revoked:
/// a revoked token stays revoked, even when it is still configured as the bootstrap token. Safe to call on
/// every start.
pub async fn ensure_admin(pool: &PgPool, username: &str, token: &str) -> Result<User, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let user: User = sqlx::query_as(
        r#"INSERT INTO users (username, display_name, is_admin) VALUES ($1, 'Administrator', true)
           ON CONFLICT (username) DO UPDATE SET is_admin = true, updated_at = now()
           RETURNING id, username, is_admin"#,
    )
    .bind(username)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        r#"INSERT INTO api_tokens (user_id, token_hash, name) VALUES ($1, $2, 'bootstrap')
           ON CONFLICT (token_hash) DO NOTHING"#,
    )
    .bind(user.id)
    .bind(hash_token(token))
    .execute(&mut *tx)
    .await?;
    let revoked: bool = sqlx::query_scalar("SELECT revoked_at IS NOT NULL FROM api_tokens WHERE token_hash = $1")
        .bind(hash_token(token))
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    if revoked {
        tracing::warn!(
            username,
            "the configured bootstrap admin token (OCEAN_ADMIN_TOKEN) was revoked and stays revoked; \
             set a new one to sign in as this user"
        );
    }
    Ok(user)
}

/// The user a live (not revoked) token belongs to.
pub async fn find_by_token(pool: &PgPool, token: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT u.id, u.username, u.is_admin FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL"#,
    )
    .bind(hash_token(token))
    .fetch_optional(pool)
    .await
}

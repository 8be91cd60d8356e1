//! Users and their bearer tokens. Tokens are stored as SHA-256 digests and compared by digest.

use sha2::{Digest, Sha256};
use sqlx::{FromRow, PgPool};

/// A signed-in caller.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Makes sure the global admin `username` exists and that `token` signs it in. Safe to call on every start.
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
           ON CONFLICT (token_hash) DO UPDATE SET revoked_at = NULL WHERE api_tokens.user_id = EXCLUDED.user_id"#,
    )
    .bind(user.id)
    .bind(hash_token(token))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
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

//! Web console sessions: opened with an API token, identified by a random id whose SHA-256 digest is
//! stored, ended by sign-out, expiry, or revocation of the token they were opened with. A session's CSRF
//! token is derived from its id rather than stored, so nothing in the table passes the CSRF check.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{FromRow, PgPool};

use super::users::{User, generate_token, hash_token};

/// A live session and its user.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn user(&self) -> User {
        User {
            id: self.user_id,
            username: self.username.clone(),
            is_admin: self.is_admin,
        }
    }
}

/// Opens a session for the holder of a live API token. Returns the session id for the cookie, or `None`
/// when the token is unknown or revoked. Expired sessions are swept on the way.
pub async fn open(pool: &PgPool, token: &str, lifetime: chrono::Duration) -> Result<Option<String>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM console_sessions WHERE expires_at < now()")
        .execute(&mut *tx)
        .await?;
    let token_row: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(hash_token(token))
            .fetch_optional(&mut *tx)
            .await?;
    let Some((token_id, user_id)) = token_row else {
        return Ok(None);
    };
    let session_id = generate_token();
    sqlx::query(
        r#"INSERT INTO console_sessions (id_hash, user_id, token_id, expires_at)
           VALUES ($1, $2, $3, now() + $4)"#,
    )
    .bind(hash_token(&session_id))
    .bind(user_id)
    .bind(token_id)
    .bind(lifetime)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1")
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(session_id))
}

/// The live session behind a cookie value: not expired, its token not revoked.
pub async fn find(pool: &PgPool, session_id: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as(
        r#"SELECT s.user_id, u.username, u.is_admin, s.expires_at
           FROM console_sessions s
           JOIN users u ON u.id = s.user_id
           JOIN api_tokens t ON t.id = s.token_id
           WHERE s.id_hash = $1 AND s.expires_at > now() AND t.revoked_at IS NULL"#,
    )
    .bind(hash_token(session_id))
    .fetch_optional(pool)
    .await
}

/// The CSRF token of the session with this id: HMAC-SHA256 keyed with the session id, which only the
/// browser's cookie holds. The table keeps SHA-256 of the id, from which the token cannot be computed (the
/// id, 47 bytes, is shorter than SHA-256's 64-byte block, so HMAC uses it as its key as it is, not its
/// digest). Every page of a session carries the same token; another session's token does not fit.
pub fn csrf_token(session_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_id.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"ocean console csrf");
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Ends a session (sign-out). Unknown ids are fine: signing out twice is not an error.
pub async fn close(pool: &PgPool, session_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
        .bind(hash_token(session_id))
        .execute(pool)
        .await?;
    Ok(())
}

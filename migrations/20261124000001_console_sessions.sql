-- Web console sign-ins. The browser holds a random session id in an HttpOnly cookie; only its SHA-256
-- digest is stored. A session lives no longer than the API token it was opened with: revoking the token
-- (or deleting the user) ends it.
CREATE TABLE console_sessions (
    id_hash     BYTEA PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_id    BIGINT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    -- Sent back in every console form; a POST without it is refused.
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_console_sessions_expires ON console_sessions(expires_at);

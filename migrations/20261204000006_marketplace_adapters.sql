-- Marketplaces as adapters: TikTok Shop joins Tokopedia as an integration, shops connected through the
-- marketplace's consent page, and accounts whose authorization lapsed wait for the seller.

INSERT INTO integrations (integration_id, name, description, category, config)
VALUES (
    'tiktok-shop', 'TikTok Shop', 'TikTok Shop Partner API (Tokopedia shops merged into TikTok Shop live here)',
    'ecommerce',
    '{"supported_features": ["product_management", "order_management", "inventory_sync", "shop_info", "webhooks"]}'
)
ON CONFLICT (integration_id) DO NOTHING;

-- `needs_reauthorization`: the marketplace revoked or expired the shop's authorization; the account is
-- paused until the seller consents again (Reconnect), which lifts the pause.
ALTER TABLE integration_accounts DROP CONSTRAINT IF EXISTS integration_accounts_status_check;
ALTER TABLE integration_accounts ADD CONSTRAINT integration_accounts_status_check
    CHECK (status IN ('active', 'inactive', 'error', 'pending', 'needs_reauthorization'));

-- A products pass resumes from a page number (Tokopedia) or a page token (TikTok Shop): text holds both.
ALTER TABLE integration_accounts ALTER COLUMN products_cursor TYPE TEXT USING products_cursor::text;

-- One row per consent redirect. Only the state's SHA-256 is stored; it is bound to the console session
-- (or API token) that started it, used at most once and expires after minutes.
CREATE TABLE consent_states (
    state_hash     BYTEA PRIMARY KEY,
    integration_id VARCHAR(100) NOT NULL REFERENCES integrations(integration_id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Hash of the console session (or API token) that started the flow; the callback must come back with it.
    binding_hash   BYTEA NOT NULL,
    -- Set for a Reconnect: the account whose tokens the consent renews.
    account_id     BIGINT REFERENCES integration_accounts(id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ
);
CREATE INDEX idx_consent_states_expires ON consent_states(expires_at);

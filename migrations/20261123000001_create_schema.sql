-- Why: Ocean Sync keeps many marketplace shops ("accounts") under one platform integration (the design's
-- Option B). Postgres is the source of truth for accounts, their schedule and sync intents, what each sync
-- brought back, and every sync attempt and audit event. Redis only delivers jobs.
-- Times are timestamptz (the design's sketch says TIMESTAMP; zone-less times break across pods and regions).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      VARCHAR(100) NOT NULL UNIQUE,
    display_name  VARCHAR(255),
    -- Global admins see and manage every account; everyone else goes through integration_account_access.
    is_admin      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Bearer tokens are stored as SHA-256 digests: a database leak does not leak usable tokens.
CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash    BYTEA NOT NULL UNIQUE,
    name          VARCHAR(100) NOT NULL DEFAULT 'default',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX idx_api_tokens_user ON api_tokens(user_id);

-- Platform definitions (one row per marketplace) and their platform-wide settings.
CREATE TABLE integrations (
    id              BIGSERIAL PRIMARY KEY,
    integration_id  VARCHAR(100) NOT NULL UNIQUE,
    name            VARCHAR(255) NOT NULL,
    description     TEXT,
    category        VARCHAR(50) NOT NULL DEFAULT 'ecommerce',
    status          VARCHAR(50) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    config          JSONB NOT NULL DEFAULT '{}',
    sync_all_simultaneously          BOOLEAN NOT NULL DEFAULT false,
    share_product_catalog            BOOLEAN NOT NULL DEFAULT false,
    consolidated_order_notifications BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO integrations (integration_id, name, description, category, config)
VALUES (
    'tokopedia', 'Tokopedia', 'Official Tokopedia API integration', 'ecommerce',
    '{"api_endpoints": {"base_url": "https://fs.tokopedia.net", "auth_url": "https://accounts.tokopedia.com/token"},
      "supported_features": ["product_management", "order_management", "inventory_sync", "logistics", "shop_info", "webhooks"]}'
)
ON CONFLICT (integration_id) DO NOTHING;

CREATE TABLE integration_accounts (
    id                    BIGSERIAL PRIMARY KEY,
    integration_id        VARCHAR(100) NOT NULL REFERENCES integrations(integration_id) ON DELETE CASCADE,
    account_name          VARCHAR(255) NOT NULL,
    account_identifier    VARCHAR(255) NOT NULL,
    -- Non-secret identifiers (fs_id, shop_id, client_id). Secrets never live here: they are AEAD-sealed in
    -- secret_ciphertext under the key named by secret_key_id, so keys can rotate.
    credentials           JSONB NOT NULL DEFAULT '{}',
    secret_ciphertext     BYTEA,
    secret_key_id         VARCHAR(64),
    status                VARCHAR(50) NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('active', 'inactive', 'error', 'pending')),
    enabled               BOOLEAN NOT NULL DEFAULT false,
    auto_sync             BOOLEAN NOT NULL DEFAULT true,
    sync_interval_minutes INTEGER NOT NULL DEFAULT 15 CHECK (sync_interval_minutes BETWEEN 1 AND 10080),
    features              TEXT[] NOT NULL DEFAULT ARRAY['product_management', 'order_management', 'inventory_sync'],
    last_sync_at          TIMESTAMPTZ,
    sync_count            INTEGER NOT NULL DEFAULT 0,
    error_count           INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT,
    -- Failed syncs since the last good one. After too many the account is paused (paused_at set): the
    -- scheduler leaves it alone until its credentials or settings change or someone resumes it.
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    paused_at             TIMESTAMPTZ,
    paused_reason         TEXT,
    metadata              JSONB NOT NULL DEFAULT '{}',
    is_primary            BOOLEAN NOT NULL DEFAULT false,
    -- Scheduling: the scheduler claims rows whose next_sync_at has passed.
    next_sync_at          TIMESTAMPTZ,
    -- A sync someone asked for (sync-now, sync-all) that no sync has started to serve yet. Recorded before the
    -- job is enqueued, so a lost Redis job is re-emitted by the scheduler instead of being forgotten.
    sync_requested_at     TIMESTAMPTZ,
    sync_requested_trigger VARCHAR(20),
    -- When a job for the pending request was last pushed; NULL means no job is out there for it.
    sync_enqueued_at      TIMESTAMPTZ,
    -- Single flight: a worker holds the lease while it syncs and renews it; lease_token only grows
    -- (fencing token). A crashed worker's lease lapses within one TTL.
    lease_token           BIGINT NOT NULL DEFAULT 0,
    lease_owner           VARCHAR(255),
    lease_expires_at      TIMESTAMPTZ,
    last_sync_started_at  TIMESTAMPTZ,
    -- Set when a sync records its outcome; a start without a later finish is a sync that died.
    last_sync_finished_at TIMESTAMPTZ,
    -- Orders are read in windows from this cursor (create time, unix seconds semantics) onwards.
    orders_cursor         TIMESTAMPTZ,
    -- The next product page of an unfinished catalog pass (a job stops after its page budget so one big
    -- shop cannot hold a worker for long; the next job goes on from here). NULL: start at page 1.
    products_cursor       INTEGER,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, account_identifier)
);

CREATE INDEX idx_integration_accounts_integration ON integration_accounts(integration_id);
CREATE INDEX idx_integration_accounts_status ON integration_accounts(status);
CREATE INDEX idx_integration_accounts_enabled ON integration_accounts(enabled);
CREATE INDEX idx_integration_accounts_primary ON integration_accounts(is_primary);
-- At most one primary account per integration, enforced by the database rather than by handlers.
CREATE UNIQUE INDEX uq_integration_accounts_one_primary
    ON integration_accounts(integration_id) WHERE is_primary;
-- The scheduler's claim query scans only schedulable rows.
CREATE INDEX idx_integration_accounts_due
    ON integration_accounts(next_sync_at) WHERE enabled AND auto_sync;
CREATE INDEX idx_integration_accounts_requested
    ON integration_accounts(sync_requested_at) WHERE sync_requested_at IS NOT NULL;

-- Links a marketplace entity (product, order, shop) to the row that holds it on our side.
CREATE TABLE integration_mappings (
    id              BIGSERIAL PRIMARY KEY,
    integration_id  VARCHAR(100) NOT NULL REFERENCES integrations(integration_id) ON DELETE CASCADE,
    account_id      BIGINT REFERENCES integration_accounts(id) ON DELETE CASCADE,
    entity_type     VARCHAR(50) NOT NULL CHECK (entity_type IN ('product', 'order', 'shop')),
    external_id     VARCHAR(255) NOT NULL,
    local_id        BIGINT,
    last_synced_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, entity_type, external_id)
);
CREATE INDEX idx_integration_mappings_account ON integration_mappings(account_id);

-- One row per sync attempt (kind 'sync') and per mutating API call (kind 'audit'). Logs outlive their
-- account (account_id becomes NULL) so history survives deletion. integration_id is NULL only for audits
-- of user and token management, which belong to no integration.
CREATE TABLE integration_logs (
    id              BIGSERIAL PRIMARY KEY,
    integration_id  VARCHAR(100),
    account_id      BIGINT REFERENCES integration_accounts(id) ON DELETE SET NULL,
    kind            VARCHAR(20) NOT NULL CHECK (kind IN ('sync', 'audit')),
    trigger         VARCHAR(20) CHECK (trigger IN ('schedule', 'manual', 'sync_all', 'webhook', 'continuation')),
    -- 'partial': the job used its page budget and queued a continuation.
    outcome         VARCHAR(20) NOT NULL CHECK (outcome IN ('success', 'failure', 'skipped', 'partial')),
    action          VARCHAR(100),
    actor_user_id   BIGINT REFERENCES users(id) ON DELETE SET NULL,
    message         TEXT,
    products_synced INTEGER NOT NULL DEFAULT 0,
    orders_synced   INTEGER NOT NULL DEFAULT 0,
    details         JSONB NOT NULL DEFAULT '{}',
    duration_ms     BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_integration_logs_account ON integration_logs(account_id, created_at DESC);
CREATE INDEX idx_integration_logs_created ON integration_logs(created_at);

CREATE TABLE integration_account_access (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        VARCHAR(50) NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    permissions JSONB NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, user_id)
);
CREATE INDEX idx_integration_account_access_user ON integration_account_access(user_id);

-- What syncs bring back. Typed columns carry what reports need; raw keeps the marketplace's full object.
-- Money is whole rupiah (IDR has no minor unit in the marketplace's payloads).
CREATE TABLE marketplace_products (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    external_id  BIGINT NOT NULL,
    name         TEXT NOT NULL,
    sku          VARCHAR(255),
    price        BIGINT NOT NULL,
    stock        BIGINT NOT NULL,
    -- Tokopedia product status: 1 active, 2 featured, 3 in warehouse, 0 deleted, -1 pending, -2 banned.
    status       INTEGER NOT NULL,
    raw          JSONB NOT NULL,
    synced_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);

CREATE TABLE marketplace_orders (
    id               BIGSERIAL PRIMARY KEY,
    account_id       BIGINT NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    external_id      BIGINT NOT NULL,
    invoice          VARCHAR(255) NOT NULL,
    -- Tokopedia order status code (220 payment verified ... 700 finished; 0/3/5/6/10/15 cancelled).
    status           INTEGER NOT NULL,
    total_amount     BIGINT NOT NULL,
    order_created_at TIMESTAMPTZ NOT NULL,
    raw              JSONB NOT NULL,
    synced_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);
CREATE INDEX idx_marketplace_orders_account_time ON marketplace_orders(account_id, order_created_at);

-- Stock levels Ocean ERP wants each shop to show (written by the ERP). The inventory stream pushes the
-- rows whose quantity differs from what was last pushed, at most 100 per marketplace call.
CREATE TABLE erp_stock_levels (
    account_id       BIGINT NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    sku              VARCHAR(50) NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity >= 0),
    pushed_quantity  BIGINT,
    pushed_at        TIMESTAMPTZ,
    -- Why the marketplace refused the last push of this row (e.g. "Invalid SKU."), until one succeeds.
    push_error       TEXT,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, sku)
);

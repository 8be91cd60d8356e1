-- Sync requests are numbered. Comparing timestamps (request time against the last start) let a late,
-- re-delivered job move a pending request back in time and then treat it as served, after which the
-- account never synced again. Numbers only grow, and the rules below are kept by the database itself:
-- a transition that would break one fails loudly instead of leaving an account silently stuck.
--
--   sync_request_seq  the newest request (every sync-now, due schedule, sync-all, continuation adds one)
--   sync_started_seq  the newest request the running (or last started) sync covers; set when it starts
--   sync_served_seq   the newest request a finished sync covered; a job for a request <= this is done
ALTER TABLE integration_accounts
    ADD COLUMN sync_request_seq BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sync_started_seq BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sync_served_seq  BIGINT NOT NULL DEFAULT 0,
    -- The marketplace app an account's calls count against: the feed is fair across apps.
    ADD COLUMN app_key TEXT GENERATED ALWAYS AS (integration_id || ':' || COALESCE(credentials->>'fs_id', '')) STORED;

-- Carry pending work over. Jobs already in Redis carry no number and are skipped as served by the new
-- workers, so every pending request is fed again: one not started yet, and one whose sync started and
-- never finished (its worker died).
UPDATE integration_accounts SET
    sync_request_seq = CASE WHEN sync_requested_at IS NOT NULL
                              OR (last_sync_started_at IS NOT NULL
                                  AND (last_sync_finished_at IS NULL OR last_sync_finished_at < last_sync_started_at))
                            THEN 1 ELSE 0 END,
    sync_started_seq = CASE WHEN sync_requested_at IS NULL
                              AND last_sync_started_at IS NOT NULL
                              AND (last_sync_finished_at IS NULL OR last_sync_finished_at < last_sync_started_at)
                            THEN 1 ELSE 0 END,
    sync_enqueued_at = NULL;

ALTER TABLE integration_accounts
    -- A sync covers only requests made before it started; a finished sync covers what it started with.
    ADD CONSTRAINT request_seqs_ordered
        CHECK (sync_served_seq <= sync_started_seq AND sync_started_seq <= sync_request_seq),
    -- A request no sync has started has a time (when it is due); one that started has none.
    ADD CONSTRAINT unstarted_request_has_time
        CHECK ((sync_requested_at IS NOT NULL) = (sync_request_seq > sync_started_seq)),
    -- A job is out only for a request no sync has started, and only while nobody syncs the account:
    -- starting a sync consumes the job, and a running sync feeds its own follow-up when it ends.
    ADD CONSTRAINT enqueued_only_when_waiting
        CHECK (sync_enqueued_at IS NULL OR (sync_request_seq > sync_started_seq AND lease_owner IS NULL));

-- The feed reads the oldest waiting requests of each app from this index: its cost depends on the window
-- it fills and the number of apps, not on how many requests wait or on planner statistics.
DROP INDEX idx_integration_accounts_requested;
CREATE INDEX idx_integration_accounts_waiting ON integration_accounts(app_key, sync_requested_at, id)
    WHERE sync_requested_at IS NOT NULL AND sync_enqueued_at IS NULL AND enabled AND paused_at IS NULL;
-- Jobs out, for the check that finds lost ones; and running syncs, for the lease checks.
CREATE INDEX idx_integration_accounts_enqueued ON integration_accounts(sync_enqueued_at)
    WHERE sync_enqueued_at IS NOT NULL;
CREATE INDEX idx_integration_accounts_leased ON integration_accounts(lease_expires_at)
    WHERE lease_owner IS NOT NULL;

-- The re-run of a sync that stopped unfinished is logged as such.
ALTER TABLE integration_logs DROP CONSTRAINT integration_logs_trigger_check,
    ADD CONSTRAINT integration_logs_trigger_check
        CHECK (trigger IN ('schedule', 'manual', 'sync_all', 'webhook', 'continuation', 'retry'));

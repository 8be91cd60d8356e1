-- Console CSRF tokens are no longer stored: each is derived from its session's id (HMAC-SHA256 keyed with
-- the id, which only the browser's cookie holds), so a copy of this table holds nothing that passes the
-- CSRF check. Existing sessions are ended rather than kept: their plain tokens may linger in the table's
-- files until Postgres reuses the space, and ending the sessions makes them worthless. Console users sign
-- in again.
DELETE FROM console_sessions;
ALTER TABLE console_sessions DROP COLUMN csrf_token;

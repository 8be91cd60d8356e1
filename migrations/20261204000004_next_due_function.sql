-- When an account's next scheduled sync is due, counted from `base` (the sync's start, or the slot the
-- scheduler just claimed): one interval later, plus the account's fixed jitter of up to a tenth of the
-- interval, so accounts created together drift apart. claim_due and acquire_lease both call it, so the rule
-- has one definition, in the database that applies it. It is a single SQL expression declared STABLE
-- (timestamptz arithmetic depends on the session's time zone), which the planner inlines: the queries plan
-- and run exactly as with the expression written out, where a plpgsql function would be an opaque call per
-- row.
CREATE FUNCTION next_sync_due(base TIMESTAMPTZ, account_id BIGINT, interval_minutes INTEGER)
RETURNS TIMESTAMPTZ
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT base + make_interval(mins => interval_minutes)
        + make_interval(secs => (account_id * 7919 % 1000) / 1000.0 * interval_minutes * 6)
$$;

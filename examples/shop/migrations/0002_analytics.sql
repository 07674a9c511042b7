-- The analytics feature's rollups: while the `analytics` flag is on, each
-- web replica adds its per-minute request counts here every
-- SHOP_ANALYTICS_FLUSH_MS (an upsert on the primary key).
--
-- Expand only, so rolling back stays possible: a new table, which a release
-- without the feature never reads or writes. Nothing existing changes.

CREATE TABLE IF NOT EXISTS analytics_rollups (
    bucket_start TEXT    NOT NULL,  -- start of the minute, RFC 3339 UTC
    path         TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    requests     INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (bucket_start, path, user_agent)
);

CREATE INDEX IF NOT EXISTS analytics_rollups_bucket ON analytics_rollups (bucket_start);

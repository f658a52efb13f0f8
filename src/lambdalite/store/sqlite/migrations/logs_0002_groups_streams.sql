-- Version 2 of the log file: log groups and streams as CloudWatch Logs keeps them (with
-- retention, tags and per-stream event bounds), subscription filters with their delivery
-- cursor, and an index for reading a group in timestamp order.

CREATE TABLE IF NOT EXISTS log_groups (
    name TEXT PRIMARY KEY,
    creation_ms INTEGER NOT NULL,
    retention_days INTEGER,
    log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
    tags TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE IF NOT EXISTS log_streams (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    creation_ms INTEGER NOT NULL,
    first_event_ms INTEGER,
    last_event_ms INTEGER,
    last_ingestion_ms INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (log_group, name)
);

-- cursor: the id of the last log event the filter has looked at (delivered or not).
CREATE TABLE IF NOT EXISTS subscription_filters (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    filter_pattern TEXT NOT NULL,
    destination_arn TEXT NOT NULL,
    role_arn TEXT,
    distribution TEXT NOT NULL DEFAULT 'ByLogStream',
    creation_ms INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    PRIMARY KEY (log_group, name)
);

INSERT OR IGNORE INTO log_groups (name, creation_ms)
    SELECT log_group, MIN(ingestion_ms) FROM log_events GROUP BY log_group;

INSERT OR IGNORE INTO log_streams
    (log_group, name, creation_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes)
    SELECT log_group, log_stream, MIN(ingestion_ms), MIN(timestamp_ms), MAX(timestamp_ms),
           MAX(ingestion_ms), SUM(length(CAST(message AS BLOB)))
    FROM log_events GROUP BY log_group, log_stream;

-- Reads go by timestamp (rowid breaks ties); subscriptions follow the rowid itself. One
-- index only: new events land at its end; a per-stream index would take an insert in the
-- middle per stream and batch, measured at several microseconds a row on the invoke path.
DROP INDEX IF EXISTS log_events_by_group;
CREATE INDEX IF NOT EXISTS log_events_by_time ON log_events (log_group, timestamp_ms);

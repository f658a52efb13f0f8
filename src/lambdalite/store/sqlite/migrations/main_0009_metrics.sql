-- Version 9: CloudWatch metrics and alarms (observe/metrics). A bucket is one series'
-- aggregate over one minute (resolution 60) or second (1), written back whole by the
-- flusher; rows past the retention are deleted by it (observe/metrics/registry.py).

CREATE TABLE IF NOT EXISTS metric_buckets (
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    dimensions  TEXT    NOT NULL,  -- JSON [[name, value], ...] sorted by name
    resolution  INTEGER NOT NULL,
    start       INTEGER NOT NULL,  -- epoch seconds, a multiple of resolution
    unit        TEXT    NOT NULL,
    aggregate   TEXT    NOT NULL,  -- JSON: count, sum, min, max, histogram
    PRIMARY KEY (namespace, name, dimensions, resolution, start, unit)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metric_buckets_start ON metric_buckets (resolution, start);

CREATE TABLE IF NOT EXISTS metric_alarms (
    name        TEXT PRIMARY KEY,
    doc         TEXT NOT NULL  -- JSON: the alarm's definition and state
);

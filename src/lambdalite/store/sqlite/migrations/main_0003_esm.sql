-- Version 3: event source mappings (issue 14) and their stream pollers' checkpoints.

CREATE TABLE IF NOT EXISTS esm_mappings (
    id             INTEGER PRIMARY KEY,  -- creation order: List pages by it
    uuid           TEXT    NOT NULL UNIQUE,
    function_name  TEXT    NOT NULL,
    function_arn   TEXT    NOT NULL,     -- qualified when the mapping names a version/alias
    source_arn     TEXT    NOT NULL,
    source_kind    TEXT    NOT NULL,     -- sqs | kinesis
    state          TEXT    NOT NULL,
    state_reason   TEXT    NOT NULL,
    config         TEXT    NOT NULL,     -- JSON MappingConfig
    last_modified  REAL    NOT NULL,
    last_result    TEXT    NOT NULL,
    revision       INTEGER NOT NULL      -- compare-and-set for updates
);
-- One mapping per source and function: what makes the duplicate check atomic.
CREATE UNIQUE INDEX IF NOT EXISTS esm_source_function ON esm_mappings (source_arn, function_arn);
CREATE INDEX IF NOT EXISTS esm_function ON esm_mappings (function_name);

-- A stream poller's position per shard ('' key) or per shard and partition key.
CREATE TABLE IF NOT EXISTS esm_checkpoints (
    mapping_id     INTEGER NOT NULL REFERENCES esm_mappings (id) ON DELETE CASCADE,
    shard_id       TEXT    NOT NULL,
    partition_key  TEXT    NOT NULL DEFAULT '',
    sequence       TEXT    NOT NULL,     -- decimal string, compared by (length, text)
    updated_at     REAL    NOT NULL,
    PRIMARY KEY (mapping_id, shard_id, partition_key)
) WITHOUT ROWID;

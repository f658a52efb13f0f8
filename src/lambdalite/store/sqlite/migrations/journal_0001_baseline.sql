-- Version 1 of journal.sqlite3: the invocation journal the console and `lambdalite logs/events`
-- read (issue 17), in a file of its own since main version 12 (store/sqlite/journal.py says why).
-- One row per run or throttle, written in batches off the invoke path; pruned by retention.

CREATE TABLE IF NOT EXISTS invocations (
    id                INTEGER PRIMARY KEY,  -- journal order: newest first by id
    request_id        TEXT    NOT NULL,
    function_name     TEXT    NOT NULL,
    executed_version  TEXT    NOT NULL,
    invoked_arn       TEXT    NOT NULL,
    trigger           TEXT    NOT NULL,     -- sync | async | mapping | gateway | url
    started_at        REAL    NOT NULL,     -- platform clock
    ended_at          REAL    NOT NULL,
    logged_ms         INTEGER NOT NULL,     -- wall clock at the end: where its log lines are
    duration_ms       REAL    NOT NULL,
    billed_ms         INTEGER NOT NULL,
    init_ms           REAL,                 -- set on a cold start
    max_memory_mb     INTEGER NOT NULL,
    outcome           TEXT    NOT NULL,     -- Success | Error | Throttled
    error_type        TEXT,
    payload           BLOB    NOT NULL,     -- capped (observe/journal.py CAPTURE_BYTES)
    payload_size      INTEGER NOT NULL,
    response          BLOB    NOT NULL,
    response_size     INTEGER NOT NULL,
    trace_id          TEXT,
    source_id         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS invocations_by_function ON invocations (function_name, id);
CREATE INDEX IF NOT EXISTS invocations_by_request ON invocations (request_id);
CREATE INDEX IF NOT EXISTS invocations_by_start ON invocations (started_at);

-- Per function and minute of the platform clock, written in the same transaction as the
-- rows: the overview's live counts read a handful of these, never the rows themselves.
CREATE TABLE IF NOT EXISTS invocation_minutes (
    function_name  TEXT    NOT NULL,
    minute         INTEGER NOT NULL,     -- floor(started_at / 60)
    invocations    INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    throttles      INTEGER NOT NULL,
    duration_ms    REAL    NOT NULL,     -- summed over the invocations
    last_at        REAL    NOT NULL,
    PRIMARY KEY (minute, function_name)
) WITHOUT ROWID;

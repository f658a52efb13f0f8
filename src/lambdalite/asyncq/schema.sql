-- Asynchronous invocation: the durable event queue (each event's journey kept on its row),
-- the outbox of records owed to destinations and dead-letter queues, and per-qualifier
-- event invoke configs.

CREATE TABLE IF NOT EXISTS async_events (
    id               INTEGER PRIMARY KEY,
    request_id       TEXT    NOT NULL UNIQUE,
    function_name    TEXT    NOT NULL,
    qualifier        TEXT,
    payload          BLOB    NOT NULL,
    source           TEXT    NOT NULL DEFAULT '',
    enqueued_at      REAL    NOT NULL,
    due_at           REAL    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    throttle_retries INTEGER NOT NULL DEFAULT 0,
    last_response    TEXT,
    lease_owner      TEXT,
    lease_until      REAL,
    state            TEXT    NOT NULL DEFAULT 'queued',  -- queued | done
    condition        TEXT,
    finished_at      REAL,
    -- The journey: one JSON array [at, kind, outcome, detail] per line, appended in the
    -- same statement that changes the row, so a round costs one UPDATE and no extra rows.
    journal          TEXT    NOT NULL DEFAULT ''
);
-- A queued row sits in at most one of two partial indexes: unleased (by due time) or
-- leased with an expiry (by lease expiry); a claim moves a row from the first to the second.
-- An event accepted straight into this consumer's lease has an owner and no expiry, so it
-- enters neither: each index costs every event a page write per commit, and in this
-- single-node store such a lease ends with its round or, after a crash, at the next start.
DROP INDEX IF EXISTS async_events_due;  -- older data directories: it covered leased rows too
DROP INDEX IF EXISTS async_events_ready;  -- older data directories: keyed on lease_until
CREATE INDEX IF NOT EXISTS async_events_unleased ON async_events (due_at)
    WHERE state = 'queued' AND lease_owner IS NULL;
CREATE INDEX IF NOT EXISTS async_events_leased ON async_events (lease_until)
    WHERE state = 'queued' AND lease_until IS NOT NULL;
-- No index by function: `lambdalite events FUNCTION` reads backwards by id (store.py).
DROP INDEX IF EXISTS async_events_function;
DROP INDEX IF EXISTS async_events_finished;  -- pruning reads the oldest ids instead

CREATE TABLE IF NOT EXISTS async_outbox (
    id           INTEGER PRIMARY KEY,
    request_id   TEXT    NOT NULL,
    role         TEXT    NOT NULL,  -- OnSuccess | OnFailure | DeadLetter
    target_arn   TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    attributes   TEXT,
    function_arn TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    due_at       REAL    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  REAL
);
CREATE INDEX IF NOT EXISTS async_outbox_due ON async_outbox (due_at);

CREATE TABLE IF NOT EXISTS event_invoke_configs (
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    config        TEXT NOT NULL,
    last_modified REAL NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);

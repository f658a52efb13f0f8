-- Version 1: the schema of the release of 2026-12-07, the last one without versioned
-- migrations. Every statement is IF NOT EXISTS, so a data directory written by any earlier
-- release is adopted as it is (legacy.py then folds what older ones kept elsewhere).

-- ---- from store/sqlite/schema.sql
CREATE TABLE IF NOT EXISTS functions (
    name TEXT PRIMARY KEY,
    reserved_concurrency INTEGER,
    last_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS versions (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    version TEXT NOT NULL,
    number INTEGER NOT NULL,  -- 0 for $LATEST, so that listing orders naturally
    config TEXT NOT NULL,
    PRIMARY KEY (function_name, version)
);
CREATE TABLE IF NOT EXISTS aliases (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    function_version TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (function_name, name)
);

-- ---- from services/sqs/schema.sql
-- SQS: queues, messages and the FIFO deduplication window. Executed at start.
CREATE TABLE IF NOT EXISTS sqs_queues (
    name        TEXT PRIMARY KEY,
    attributes  TEXT NOT NULL,              -- JSON: settable attributes, defaults filled in
    tags        TEXT NOT NULL DEFAULT '{}',
    created     REAL NOT NULL,
    modified    REAL NOT NULL,
    sequence    INTEGER NOT NULL DEFAULT 0  -- last FIFO SequenceNumber handed out
);

-- A message is delayed (receipt NULL, visible_at > now), visible (visible_at <= now) or in
-- flight (receipt set, visible_at > now). Expiry is sent + MessageRetentionPeriod.
CREATE TABLE IF NOT EXISTS sqs_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- send order
    queue         TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    body          TEXT NOT NULL,
    md5_body      TEXT NOT NULL,
    attributes    TEXT,            -- JSON message attributes (binary values base64)
    system        TEXT,            -- JSON message system attributes (AWSTraceHeader)
    sent          REAL NOT NULL,
    visible_at    REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive REAL,
    receipt       TEXT,            -- nonce of the latest receipt handle
    group_id      TEXT,
    dedup_id      TEXT,
    sequence      TEXT,
    dlq_source    TEXT             -- ARN of the queue a redrive moved it from
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at);

CREATE TABLE IF NOT EXISTS sqs_dedup (
    queue       TEXT NOT NULL,
    dedup_id    TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    sequence    TEXT,
    expires_at  REAL NOT NULL,
    PRIMARY KEY (queue, dedup_id)
);

-- ---- from services/sns/schema.sql
-- SNS: topics, subscriptions, and the publications still being delivered.
CREATE TABLE IF NOT EXISTS sns_topics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- listing order and NextToken
    arn TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL                -- JSON: the attributes users set
);
CREATE TABLE IF NOT EXISTS sns_subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    topic_arn TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    attributes TEXT NOT NULL                -- JSON: RawMessageDelivery, FilterPolicy, ...
);
CREATE INDEX IF NOT EXISTS sns_subscriptions_by_topic ON sns_subscriptions (topic_arn, seq);
-- A publication lives until every delivery it spawned is done.
CREATE TABLE IF NOT EXISTS sns_publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL                       -- JSON: see model.Publication
);
CREATE TABLE IF NOT EXISTS sns_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id INTEGER NOT NULL REFERENCES sns_publications(id) ON DELETE CASCADE,
    subscription TEXT NOT NULL,             -- JSON snapshot: model.Subscription at publish time
    subscription_arn TEXT NOT NULL,
    group_id TEXT,                          -- FIFO topics: delivered in order per group
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sns_deliveries_due ON sns_deliveries (due_at);
CREATE INDEX IF NOT EXISTS sns_deliveries_by_subscription ON sns_deliveries (subscription_arn);
CREATE INDEX IF NOT EXISTS sns_deliveries_by_publication ON sns_deliveries (publication_id);
-- FIFO topics: MessageDeduplicationId -> the publication it first named, for 5 minutes.
CREATE TABLE IF NOT EXISTS sns_dedup (
    topic_arn TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence_number TEXT,
    expires_at REAL NOT NULL,
    PRIMARY KEY (topic_arn, dedup_id)
);

-- ---- from services/events/schema.sql
-- EventBridge: buses, rules, targets and the durable delivery queue.
CREATE TABLE IF NOT EXISTS event_buses (
    name TEXT PRIMARY KEY,
    description TEXT,
    created_at REAL NOT NULL,
    modified_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS event_rules (
    bus TEXT NOT NULL,
    name TEXT NOT NULL,
    event_pattern TEXT,
    schedule TEXT,
    state TEXT NOT NULL,
    description TEXT,
    role_arn TEXT,
    anchor REAL NOT NULL,   -- rate schedules count whole periods from here
    last_fired REAL,        -- the latest schedule slot already fired
    PRIMARY KEY (bus, name)
);
CREATE TABLE IF NOT EXISTS event_targets (
    bus TEXT NOT NULL,
    rule TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,   -- keeps ListTargetsByRule in the order targets were added
    target TEXT NOT NULL,   -- the Target structure, as JSON
    PRIMARY KEY (bus, rule, id)
);
-- One row per (event, matched rule target) still to be delivered.
CREATE TABLE IF NOT EXISTS event_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_arn TEXT NOT NULL,
    target TEXT NOT NULL,   -- the Target as configured when the event matched
    event TEXT NOT NULL,    -- the event JSON (also the dead-letter body)
    payload TEXT NOT NULL,  -- what the target receives: Input / InputPath / InputTransformer
    accepted_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    last_error TEXT         -- {"code", "message"} of the latest failed attempt
);
CREATE INDEX IF NOT EXISTS event_deliveries_due ON event_deliveries (due_at);

-- ---- from services/kinesis/schema.sql
-- Kinesis Data Streams. Shards are not stored: without resharding a stream's shards follow
-- from shard_count (even split of the 128-bit hash-key space).
-- AUTOINCREMENT on both tables: a recreated stream gets a new id (old iterators die), and a
-- record counter is never reused, even after retention deletes the newest rows.
CREATE TABLE IF NOT EXISTS kinesis_streams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    shard_count INTEGER NOT NULL,
    retention_hours INTEGER NOT NULL,
    max_record_kib INTEGER NOT NULL,
    created_at REAL NOT NULL
);
-- counter is the store-wide order of arrival: the low digits of a sequence number.
-- arrival never decreases with counter (the service clamps it), so the oldest rows of a
-- shard are the first ones in the index, which is what trimming relies on.
CREATE TABLE IF NOT EXISTS kinesis_records (
    counter INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    shard_index INTEGER NOT NULL,
    arrival REAL NOT NULL,
    partition_key TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kinesis_records_by_shard
    ON kinesis_records (stream_id, shard_index, counter);

-- ---- from asyncq/schema.sql
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

-- ---- from asyncq/config_lifetime.sql
-- Applied after schema.sql when the functions store shares the database (it always does in
-- a running lambdalite; the async store alone, as in its own tests, has no functions).

-- A config lives exactly as long as its function, version or alias (a re-created function
-- or alias of the same name starts clean). Triggers keep the removal in the deleting
-- statement's own transaction, whichever code path deletes; the functions store's cascade
-- to versions and aliases fires the narrower triggers too, which then find nothing.
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_function_deleted
AFTER DELETE ON functions BEGIN
    DELETE FROM event_invoke_configs WHERE function_name = OLD.name;
END;
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_version_deleted
AFTER DELETE ON versions BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_alias_deleted
AFTER DELETE ON aliases BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
-- Rows orphaned before these triggers existed (data directories of older releases).
DELETE FROM event_invoke_configs
WHERE NOT EXISTS (SELECT 1 FROM functions f WHERE f.name = event_invoke_configs.function_name)
   OR (qualifier <> '$LATEST'
       AND NOT EXISTS (SELECT 1 FROM versions v
                       WHERE v.function_name = event_invoke_configs.function_name
                         AND v.version = event_invoke_configs.qualifier)
       AND NOT EXISTS (SELECT 1 FROM aliases a
                       WHERE a.function_name = event_invoke_configs.function_name
                         AND a.name = event_invoke_configs.qualifier));


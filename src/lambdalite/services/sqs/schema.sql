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

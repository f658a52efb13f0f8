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

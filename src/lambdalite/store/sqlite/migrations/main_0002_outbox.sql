-- Version 2: one outbox for every outgoing delivery (async destinations and dead-letter
-- queues, SNS subscription deliveries, EventBridge targets, and the dead letters of the
-- latter two), sent by one runner (outbox/runner.py). Every pending row of the three
-- tables it replaces moves over with its due time, attempts and what its sender needs.
-- IF NOT EXISTS throughout: a file set back to version 0 (as releases before versioned
-- migrations left it) is adopted again by version 1, which re-creates the old tables empty.

CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,  -- async | sns | events | dead-letter
    ref         TEXT    NOT NULL,  -- owner: request id | subscription ARN | rule ARN
    grp         TEXT,              -- rows of one group go one at a time, in id order
    target      TEXT    NOT NULL,  -- the ARN it goes to
    body        TEXT    NOT NULL,
    attributes  TEXT,              -- JSON message attributes
    meta        TEXT,              -- the kind's own JSON
    created_at  REAL    NOT NULL,
    due_at      REAL    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    lease_owner TEXT,
    lease_until REAL,
    token       INTEGER NOT NULL DEFAULT 0  -- fencing: bumped by every claim
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at);
-- Partial: rows without a group (every async one) cost it nothing. No index by ref: the
-- outbox holds what is in flight, and dropping a subscription's rows is rare.
CREATE INDEX IF NOT EXISTS outbox_group ON outbox (grp, id) WHERE grp IS NOT NULL;

-- async: meta is [role, function ARN]
INSERT INTO outbox (kind, ref, target, body, attributes, meta, created_at, due_at, attempts)
SELECT 'async', request_id, target_arn, body, attributes, json_array(role, function_arn),
       created_at, due_at, attempts
FROM async_outbox ORDER BY id;

-- sns: body is the publication, meta the subscription as it was at publish time
INSERT INTO outbox (kind, ref, grp, target, body, meta, created_at, due_at, attempts)
SELECT 'sns', d.subscription_arn,
       CASE WHEN d.group_id IS NULL THEN NULL ELSE d.subscription_arn || char(10) || d.group_id END,
       json_extract(d.subscription, '$.endpoint'), p.doc, d.subscription,
       json_extract(p.doc, '$.timestamp'), d.due_at, d.attempts
FROM sns_deliveries d JOIN sns_publications p ON p.id = d.publication_id ORDER BY d.id;

-- events: body is the payload the target receives, meta {target, event}
INSERT INTO outbox (kind, ref, target, body, meta, created_at, due_at, attempts, last_error)
SELECT 'events', rule_arn, json_extract(target, '$.Arn'), payload,
       json_object('target', json(target), 'event', event), accepted_at, due_at, attempts,
       last_error
FROM event_deliveries ORDER BY id;

DROP TABLE IF EXISTS async_outbox;
DROP TABLE IF EXISTS sns_deliveries;
DROP TABLE IF EXISTS sns_publications;
DROP TABLE IF EXISTS event_deliveries;

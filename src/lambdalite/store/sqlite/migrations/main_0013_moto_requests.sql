-- Version 13: the S3 and DynamoDB request log (services/moto_backend/durability.py): every
-- request that changed the embedded moto's state, replayed into it at start.

CREATE TABLE IF NOT EXISTS moto_requests (
    seq         INTEGER PRIMARY KEY,
    service     TEXT    NOT NULL,  -- s3 | dynamodb
    region      TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    headers     TEXT    NOT NULL,  -- JSON object
    body        BLOB    NOT NULL,
    seed        INTEGER NOT NULL,  -- moto's random source, reseeded before it ran
    wall_time   REAL    NOT NULL,  -- time.time() as it ran
    clock_time  REAL    NOT NULL,  -- the platform clock as it ran
    restore     TEXT    NOT NULL DEFAULT '{}'  -- JSON: stream labels, an upload id
);

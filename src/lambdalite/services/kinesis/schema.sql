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

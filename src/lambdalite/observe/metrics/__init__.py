"""CloudWatch-style metrics: per-minute (and per-second) aggregates per series, with a
log-scale histogram for percentiles, kept in memory within a fixed retention and persisted
in batches so charts survive a restart."""

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

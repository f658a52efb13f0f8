-- Version 6: -- Stacks deployed by `lambdalite up` (template/state.py): written once per successful deploy.
CREATE TABLE IF NOT EXISTS stacks (
    name TEXT PRIMARY KEY,
    template_hash TEXT NOT NULL,
    parameters TEXT NOT NULL,
    outputs TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stack_resources (
    stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    logical_id TEXT NOT NULL,
    type TEXT NOT NULL,
    physical_id TEXT NOT NULL,
    properties TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (stack, logical_id)
);
CREATE TABLE IF NOT EXISTS stack_exports (
    name TEXT PRIMARY KEY,
    stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
    value TEXT NOT NULL
);

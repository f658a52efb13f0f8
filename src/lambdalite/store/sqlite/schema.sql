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

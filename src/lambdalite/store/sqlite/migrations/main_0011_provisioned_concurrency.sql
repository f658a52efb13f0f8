-- Version 11: provisioned concurrency configs (spec 7.3), per function and qualifier (a
-- published version or an alias). Allocation is runtime state, made again on start.

CREATE TABLE IF NOT EXISTS provisioned_concurrency (
    function_name  TEXT    NOT NULL,
    qualifier      TEXT    NOT NULL,
    requested      INTEGER NOT NULL,
    last_modified  TEXT    NOT NULL,
    PRIMARY KEY (function_name, qualifier)
) WITHOUT ROWID;

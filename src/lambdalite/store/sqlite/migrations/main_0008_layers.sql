-- Version 8: Lambda layers (issue 16). A layer row keeps its last version number, so
-- numbers are never reused after a delete, as on AWS.

CREATE TABLE IF NOT EXISTS layers (
    name          TEXT    PRIMARY KEY,
    last_version  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS layer_versions (
    name     TEXT    NOT NULL REFERENCES layers (name),
    version  INTEGER NOT NULL,
    record   TEXT    NOT NULL,   -- JSON LayerVersion
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

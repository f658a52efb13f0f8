-- Version 7: the HTTP gateway's declared APIs and the functions' URL configurations.

CREATE TABLE IF NOT EXISTS gateway_apis (
    api_id      TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,   -- declaration order, which List keeps
    definition  TEXT NOT NULL       -- JSON twin of gateway.model.ApiDefinition
);

CREATE TABLE IF NOT EXISTS function_urls (
    function_name  TEXT NOT NULL,
    qualifier      TEXT NOT NULL DEFAULT '',   -- '' for the unqualified function
    url_id         TEXT NOT NULL UNIQUE,
    config         TEXT NOT NULL,              -- JSON of gateway.urls.UrlConfig
    PRIMARY KEY (function_name, qualifier)
) WITHOUT ROWID;

-- Version 12: the invocation journal moved to journal.sqlite3 (its rows are copied there
-- before this runs: store/sqlite/journal_move.py); what version 10 created goes.

DROP TABLE IF EXISTS invocations;
DROP TABLE IF EXISTS invocation_minutes;

"""The synchronous invoke path and the concurrency ledger every path shares."""

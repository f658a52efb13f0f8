"""The command line: a thin client of the HTTP API (and `serve`, which starts the server)."""

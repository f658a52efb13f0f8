"""Durable state behind one async Store protocol (SQLite by default, PostgreSQL to follow)."""

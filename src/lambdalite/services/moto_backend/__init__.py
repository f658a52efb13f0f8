"""S3 and DynamoDB (with DynamoDB Streams) on lambdalite's endpoint, served by an embedded
moto (the optional ``services`` extra): lambdalite routes the requests to moto's own
request handlers in process, and owns what those services do to functions: S3 event
notifications (through the outbox and the asynchronous invoke path) and DynamoDB Streams as
an event source mapping source (through the stream pollers).

State: moto keeps buckets, objects, tables and stream records in memory; the requests that
changed them are kept in the store before they are answered and replayed at start
(durability.py). Notification deliveries are outbox rows committed before the write is
answered, and mapping checkpoints are in the store.
"""

from __future__ import annotations

from lambdalite.services.moto_backend.service import MotoServices

__all__ = ["MotoServices"]

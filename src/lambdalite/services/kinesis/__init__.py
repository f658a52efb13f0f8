"""Amazon Kinesis Data Streams over the platform store (wire handlers: api/kinesis_api.py)."""

from __future__ import annotations

from lambdalite.services.kinesis.model import Record, Shard, Stream
from lambdalite.services.kinesis.reader import KinesisReader, RecordsPage
from lambdalite.services.kinesis.service import KinesisService, PutResult

__all__ = [
    "KinesisReader",
    "KinesisService",
    "PutResult",
    "Record",
    "RecordsPage",
    "Shard",
    "Stream",
]

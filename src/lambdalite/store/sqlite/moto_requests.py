"""The S3 and DynamoDB request log on SQLite (services/moto_backend/durability.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lambdalite.services.moto_backend.durability import KeptRequest
from lambdalite.services.moto_backend.engine import MotoRequest
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = "seq, service, region, method, url, headers, body, seed, wall_time, clock_time, restore"


class SqliteKeptRequestStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def append(self, kept: KeptRequest) -> None:
        r = kept.request
        with self.database.transaction() as db:
            db.execute(
                f"INSERT INTO moto_requests ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    kept.seq, r.service, r.region, r.method, r.url, json.dumps(dict(r.headers)),
                    r.body, kept.seed, kept.wall_time, kept.clock_time, json.dumps(kept.restore),
                ),
            )  # fmt: skip

    async def kept(self) -> Sequence[KeptRequest]:
        rows = self.database.connection.execute(
            f"SELECT {_COLUMNS} FROM moto_requests ORDER BY seq"
        ).fetchall()
        return [
            KeptRequest(
                seq,
                MotoRequest(service, region, method, url, json.loads(headers), bytes(body)),
                seed,
                wall_time,
                clock_time,
                json.loads(restore),
            )  # fmt: skip
            for (
                seq,
                service,
                region,
                method,
                url,
                headers,
                body,
                seed,
                wall_time,
                clock_time,
                restore,
            ) in rows  # fmt: skip
        ]

from __future__ import annotations

import pytest

from lambdalite.errors import TooManyRequestsException
from lambdalite.invoke.concurrency import (
    ACCOUNT_EXCEEDED,
    RESERVED_EXCEEDED,
    ConcurrencyLedger,
)


def test_reserved_concurrency_caps_its_function() -> None:
    ledger = ConcurrencyLedger(account_limit=10)
    first = ledger.try_acquire("f", reserved=2)
    ledger.try_acquire("f", reserved=2)
    with pytest.raises(TooManyRequestsException) as raised:
        ledger.try_acquire("f", reserved=2)
    assert raised.value.reason == RESERVED_EXCEEDED
    assert raised.value.status_code == 429
    ledger.release(first)
    ledger.try_acquire("f", reserved=2)
    assert ledger.in_flight("f") == 2


def test_reserved_zero_throttles_every_call() -> None:
    ledger = ConcurrencyLedger(account_limit=10)
    with pytest.raises(TooManyRequestsException) as raised:
        ledger.try_acquire("f", reserved=0)
    assert raised.value.reason == RESERVED_EXCEEDED


def test_unreserved_functions_share_what_reservations_leave() -> None:
    ledger = ConcurrencyLedger(account_limit=3)
    ledger.set_reserved_total(1)
    ledger.try_acquire("a", reserved=None)
    ledger.try_acquire("b", reserved=None)
    with pytest.raises(TooManyRequestsException) as raised:
        ledger.try_acquire("c", reserved=None)
    assert raised.value.reason == ACCOUNT_EXCEEDED
    # the reserved function still has its guaranteed unit
    slot = ledger.try_acquire("r", reserved=1)
    ledger.release(slot)
    assert ledger.in_flight("r") == 0


def test_throttle_body_is_aws_shaped() -> None:
    error = TooManyRequestsException(RESERVED_EXCEEDED)
    assert error.body() == {
        "Reason": RESERVED_EXCEEDED,
        "Type": "User",
        "message": "Rate Exceeded.",
    }


def test_request_ids_are_lowercase_uuid4() -> None:
    import re
    import uuid

    from lambdalite.invoke.invoker import new_request_id

    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for request_id in ids:
        assert re.fullmatch(
            r"[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}", request_id
        )
        assert uuid.UUID(request_id).version == 4


def test_request_ids_sort_by_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time first, so the async queue's request-id index grows at one end."""
    from lambdalite.invoke import invoker

    ids = []
    for ms in (1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_999, 1_700_000_001_000):
        monkeypatch.setattr(invoker.time, "time_ns", lambda ms=ms: ms * 1_000_000 + 123)
        ids += [invoker.new_request_id() for _ in range(3)]
    by_time = [ids[i : i + 3] for i in range(0, 12, 3)]
    assert [group[0][:13] for group in by_time] == sorted({i[:13] for i in ids})
    assert sorted(ids)[:3] == sorted(by_time[0]) and sorted(ids)[-3:] == sorted(by_time[-1])

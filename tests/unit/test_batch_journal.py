"""The mapping batch journal's bounds and look-ups (observe/batches.py)."""

from __future__ import annotations

from lambdalite.observe.batches import BatchJournal


def test_it_keeps_the_newest_batches_per_mapping_and_counts_the_rest() -> None:
    journal = BatchJournal(keep=3, max_mappings=2)
    ids = [journal.begin("m1", "sqs", float(n), [f"id-{n}"]) for n in range(5)]
    journal.invoked(ids[0], 0.0, requestId="r-old")
    assert [b.id for b in journal.recent("m1")] == ids[:1:-1]  # newest first
    assert journal.dropped == {"m1": 2}
    assert journal.find(ids[0]) is None and journal.find("r-old") is None
    journal.begin("m2", "kinesis", 0.0, ["1"])
    journal.begin("m3", "kinesis", 0.0, ["1"])  # the least recently written mapping goes
    assert journal.recent("m1") == [] and journal.find(ids[4]) is None


def test_a_batch_is_found_by_an_invocations_request_id_and_ends_in_its_worst_state() -> None:
    journal = BatchJournal()
    batch = journal.begin("m", "kinesis", 1.0, ["10", "11", "12"], shard_id="s", filtered_out=2)
    journal.invoked(batch, 1.0, requestId="r1", outcome="failed")
    journal.step(batch, 1.0, "retry", retryAt=3.0, attempt=1)
    found = journal.find("r1")
    assert found is not None and found.state == "Retrying" and found.retry_at == 3.0
    journal.invoked(batch, 3.0, requestId="r2", outcome="failed")
    assert found.state == "InProgress" and found.retry_at is None
    journal.step(batch, 3.0, "onFailure", condition="RetryAttemptsExhausted")
    journal.end(batch, 3.0, "Succeeded")
    doc = found.to_json()
    assert doc["state"] == "Discarded" and doc["filteredOut"] == 2
    assert (doc["first"], doc["last"], doc["records"], doc["messageIds"]) == ("10", "12", 3, [])
    journal.step("unknown", 0.0, "retry")  # a batch already dropped: nothing happens

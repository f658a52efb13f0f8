"""Stream processing with bisection, run against lambdalite with the pytest harness
(`lambdalite_app` deploys ../template.yaml on a virtual clock)."""

import json
import uuid

import pytest

pytestmark = pytest.mark.lambdalite(template="../template.yaml")


def readings(sensor, *celsius):
    return [{"sensor": sensor, "celsius": c} for c in celsius]


def results_for(app, sensor):
    found = [json.loads(m["Body"]) for m in app.receive("Results")]
    return [r for r in found if r["sensor"] == sensor]


def test_readings_are_converted(lambdalite_app):
    sensor = uuid.uuid4().hex
    lambdalite_app.put_records("Readings", readings(sensor, 0, 100, -40))
    lambdalite_app.wait_idle()
    converted = sorted(r["fahrenheit"] for r in results_for(lambdalite_app, sensor))
    assert converted == [-40.0, 32.0, 212.0]


def test_a_poison_record_ends_in_the_on_failure_queue_and_the_rest_are_processed(
    lambdalite_app,
):
    sensor = uuid.uuid4().hex
    good = readings(sensor, 1, 2, 3, 4, 5, 6, 7)
    records = [*good[:3], b"not json at all", *good[3:]]
    sequence_numbers = lambdalite_app.put_records("Readings", records)
    poison = sequence_numbers[3]

    lambdalite_app.advance(600)  # bisections and the retries' backoff

    results = results_for(lambdalite_app, sensor)
    assert sorted(r["fahrenheit"] for r in results) == [33.8, 35.6, 37.4, 39.2, 41.0, 42.8, 44.6]
    assert poison not in {r["sequenceNumber"] for r in results}
    [failure] = [json.loads(m["Body"]) for m in lambdalite_app.receive("Unprocessable")]
    batch = failure["KinesisBatchInfo"]
    assert (batch["startSequenceNumber"], batch["endSequenceNumber"]) == (poison, poison)
    assert batch["batchSize"] == 1
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"

"""The growth bucket of sandbox/scaling.py: how fast new environments may follow a backlog."""

from __future__ import annotations

import pytest

from lambdalite.sandbox.scaling import GrowthBucket, ScalingPolicy


def test_the_bucket_starts_full_and_refills_at_the_policys_rate() -> None:
    policy = ScalingPolicy(burst=5, per_minute=300.0)  # a token every 0.2 s
    bucket = GrowthBucket(policy, now=100.0)
    assert [bucket.take(100.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.ready_at(100.0) == pytest.approx(100.2)
    assert not bucket.take(100.1)
    assert bucket.take(100.2)
    assert bucket.ready_at(100.2) == pytest.approx(100.4)


def test_unused_rate_does_not_pile_up_past_the_burst() -> None:
    bucket = GrowthBucket(ScalingPolicy(burst=2, per_minute=60.0), now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0)
    assert [bucket.take(3600.0) for _ in range(3)] == [True, True, False]


def test_a_clock_that_steps_back_refills_nothing() -> None:
    bucket = GrowthBucket(ScalingPolicy(burst=1, per_minute=60.0), now=50.0)
    assert bucket.take(50.0)
    assert not bucket.take(40.0)  # back 10 s
    assert not bucket.take(40.5)
    assert bucket.take(41.0)  # one second after the step back, not eleven


def test_no_rate_means_no_growth_after_the_burst() -> None:
    bucket = GrowthBucket(ScalingPolicy(burst=1, per_minute=0.0), now=0.0)
    assert bucket.take(0.0)
    assert bucket.ready_at(1e9) == float("inf")

"""Retry timing: the service's wait first, else capped exponential backoff with jitter."""

from __future__ import annotations

import random

from heartbeat_bot.announcer.retry import RetryPolicy


def test_service_wait_is_honoured() -> None:
    """A wait the service asked for is never shortened, and only slightly lengthened."""
    policy = RetryPolicy(base=2.0, rng=random.Random(1))
    for attempt in range(1, 10):
        delay = policy.delay(attempt, 7.5)
        assert 7.5 <= delay <= 8.5


def test_backoff_grows_then_caps() -> None:
    """Without a service wait, the window doubles per attempt and stops at the cap."""
    policy = RetryPolicy(base=2.0, cap=60.0, rng=random.Random(2))
    assert 1.0 <= policy.delay(1, None) <= 2.0
    assert 4.0 <= policy.delay(3, None) <= 8.0
    assert all(30.0 <= policy.delay(n, None) <= 60.0 for n in range(6, 40))


def test_jitter_spreads_clients() -> None:
    """Two clients failing together do not come back at the same instant."""
    policy = RetryPolicy(rng=random.Random(3))
    delays = {round(policy.delay(4, None), 6) for _ in range(20)}
    assert len(delays) > 10


def test_rechecks_start_within_a_minute_double_and_cap() -> None:
    """Checks of an unconfirmed send come within ``recheck``, then twice as far apart each
    time, at most ``cap`` apart, and never before a wait the service asked for."""
    policy = RetryPolicy(recheck=60.0, cap=900.0, rng=random.Random(4))
    assert 30.0 <= policy.recheck_delay(1, None) <= 60.0
    assert 120.0 <= policy.recheck_delay(3, None) <= 240.0
    assert all(450.0 <= policy.recheck_delay(n, None) <= 900.0 for n in range(6, 30))
    assert policy.recheck_delay(1, 300.0) >= 300.0

"""Fault injection: which failure the next request to a fake service meets.

Faults are what make delivery code honest: a 503 that must be retried, a 429 that must be
waited out, and above all a ``drop``, where the service did the work but the client never
hears back, so the outcome is uncertain and must be reconciled, not blindly resent.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass
from typing import Final

SERVICES: Final = ("discourse", "discord", "x", "mastodon", "webhook", "bluesky")

# What each kind does:
#   "500" / "502" / "503": an error in the service's own shape; the request is NOT processed.
#   "429": rate limited in the service's exact shape; NOT processed.
#   "drop": processed and recorded, then the connection closes without any response.
#   "drop_before": the connection closes without any response; NOT processed.
#   "slow": wait ``slow_delay`` seconds, then answer normally.
#   "html": a 500 with an HTML page (``text/html``); NOT processed.
#   "badjson": processed, then answered 200 (201 stays 201) with a body that is not JSON.
#   "missing": processed, then answered 200 (201 stays 201) with ``{}``: no expected fields.
FAULT_KINDS: Final = (
    "500",
    "502",
    "503",
    "429",
    "drop",
    "drop_before",
    "slow",
    "html",
    "badjson",
    "missing",
)
RANDOM_KINDS: Final = ("500", "503", "429", "drop", "slow")


@dataclass(frozen=True)
class QueuedFault:
    """One queued fault: its kind and the path prefix it waits for (None: any path)."""

    kind: str
    path: str | None = None


class Faults:
    """Queued and random faults per service; thread-safe (tests call it from another thread).

    ``rate`` is the default chance, per API request, of a random fault drawn from
    ``RANDOM_KINDS``; ``set_rate`` overrides it for one service. Each service draws from
    its own generator seeded from ``seed``, so concurrent traffic to two services does not
    change the faults either of them sees.
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rate = _checked_rate(rate)
        self._rates: dict[str, float] = {}
        self._queues: dict[str, deque[QueuedFault]] = {name: deque() for name in SERVICES}
        self._rngs = {
            name: random.Random(None if seed is None else f"{seed}:{name}") for name in SERVICES
        }

    @property
    def rate(self) -> float:
        """The default random-fault rate (0.0 to 1.0) for every service without its own."""
        with self._lock:
            return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        checked = _checked_rate(value)
        with self._lock:
            self._rate = checked

    def set_rate(self, service: str, rate: float | None) -> None:
        """Give ``service`` its own random-fault rate (None: back to the default ``rate``)."""
        _check_service(service)
        with self._lock:
            if rate is None:
                self._rates.pop(service, None)
            else:
                self._rates[service] = _checked_rate(rate)

    def rate_for(self, service: str) -> float:
        with self._lock:
            return self._rates.get(service, self._rate)

    def queue(self, service: str, *kinds: str, path: str | None = None) -> None:
        """Make the next requests to ``service`` (under ``path``, if given) meet ``kinds``."""
        _check_service(service)
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._queues[service].extend(QueuedFault(kind, path) for kind in kinds)

    def clear(self, service: str | None = None) -> None:
        """Forget queued faults (of one service, or all) and every random rate."""
        with self._lock:
            for name, queue in self._queues.items():
                if service is None or name == service:
                    queue.clear()
            if service is None:
                self._rate = 0.0
                self._rates.clear()
            else:
                self._rates.pop(service, None)

    def pending(self, service: str) -> list[QueuedFault]:
        """The faults still queued for ``service``, in order."""
        _check_service(service)
        with self._lock:
            return list(self._queues[service])

    def take(self, service: str, path: str) -> str | None:
        """The fault this request meets: the first queued one for its path, else maybe random."""
        with self._lock:
            queue = self._queues[service]
            for index, fault in enumerate(queue):
                if fault.path is None or path.startswith(fault.path):
                    del queue[index]
                    return fault.kind
            rate = self._rates.get(service, self._rate)
            rng = self._rngs[service]
            if rate > 0 and rng.random() < rate:
                return rng.choice(RANDOM_KINDS)
        return None


def _checked_rate(rate: float) -> float:
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
    return rate


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {SERVICES}")

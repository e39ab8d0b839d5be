"""When to try again: capped exponential backoff with full jitter, or the service's wait."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class RetryPolicy:
    """Delays in seconds. ``max_attempts`` counts every request of a pair, the first included
    (and every check of a send whose outcome is unconfirmed). ``recheck`` is the first wait
    before checking such a send again when the service could not be asked."""

    base: float = 2.0
    cap: float = 900.0
    max_attempts: int = 8
    recheck: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, service_wait: float | None) -> float:
        """The wait before attempt ``attempt + 1``.

        A wait the service asked for is honoured exactly (plus a little jitter, so many
        clients don't return at the same instant); otherwise full jitter over an
        exponentially growing window, capped.
        """
        if service_wait is not None:
            return max(0.0, service_wait) + self.rng.uniform(0, min(1.0, self.base / 2))
        window = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return self.rng.uniform(window / 2, window)

    def recheck_delay(self, attempt: int, service_wait: float | None) -> float:
        """The wait before checking an unconfirmed send again after attempt ``attempt``.

        From ``recheck`` seconds, doubling each time, capped, with jitter; never shorter
        than a wait the service asked for.
        """
        window = min(self.cap, self.recheck * 2 ** max(0, attempt - 1))
        return max(self.rng.uniform(window / 2, window), service_wait or 0.0)

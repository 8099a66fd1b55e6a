"""Failed logins counted by where they come from, so one address cannot guess on and on.

Generous on purpose: a class behind one NAT address shares it (per-name lockout is the
authenticator's, in the database).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque


class SourceThrottle:
    """At most ``limit`` attempts (failed logins, sign-ups) from one address per ``window`` s."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, source: str) -> deque[float]:
        failures = self._failures[source]
        now = time.monotonic()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def wait(self, source: str) -> int:
        """Seconds until ``source`` may try again (0: now)."""
        if not self.limit:
            return 0
        failures = self._recent(source)
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(self.window - (time.monotonic() - failures[0])))

    def count(self, source: str) -> None:
        """One more attempt from ``source``."""
        self._recent(source).append(time.monotonic())

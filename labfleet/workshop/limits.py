"""How many events, and how many bytes of them, one user's servers may send in a minute."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

WINDOW_SECONDS = 60.0


class EventBudget:
    """A sliding minute per user: at most ``events`` events and ``kib`` KiB (0: no limit).

    An event is refused while the minute already holds as many events or bytes as allowed,
    so one event larger than the rest of the budget still passes (its content is capped
    anyway) and no event is refused for ever.
    """

    def __init__(self, events: int, kib: int):
        self.events, self.limit_bytes = events, kib * 1024
        self._recent: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._bytes: dict[str, int] = defaultdict(int)

    def take(self, user: str, size: int, now: float | None = None) -> tuple[str, int] | None:
        """Count an event of ``size`` bytes of ``user``'s; or, refused, why and the seconds
        until it may be sent again."""
        now = time.monotonic() if now is None else now
        recent = self._recent[user]
        while recent and now - recent[0][0] >= WINDOW_SECONDS:
            self._bytes[user] -= recent.popleft()[1]
        reason = None
        if self.events and len(recent) >= self.events:
            reason = f"at most {self.events} events a minute (workshop.events_per_minute)"
        elif self.limit_bytes and self._bytes[user] >= self.limit_bytes:
            reason = f"at most {self.limit_bytes // 1024} KiB of events a minute " \
                "(workshop.events_kb_per_minute)"  # fmt: skip
        if reason is not None:
            return reason, max(1, math.ceil(WINDOW_SECONDS - (now - recent[0][0])))
        recent.append((now, size))
        self._bytes[user] += size
        return None

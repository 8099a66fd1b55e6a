"""State-changing operations on a user's resources: one at a time, rate limited, audited."""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session
from tornado import web

from . import audit
from .metrics import OPERATIONS

WINDOW_SECONDS = 60.0


class OperationRefused(web.HTTPError):
    """The operation may not run now: 409 (another one runs) or 429 (rate limited)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(status, message)
        self.message = message
        if retry_after is not None:
            self.headers = {"Retry-After": str(retry_after)}


class Operations:
    """One lock per target user and a sliding-window rate limit per actor and action."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._recent: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def busy(self, target: str) -> bool:
        """Whether an operation on ``target``'s resources is running now."""
        return self._locks[target].locked()

    def _take_slot(self, actor: str, action: str) -> None:
        now = time.monotonic()
        recent = self._recent[(actor, action)]
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self.per_minute:
            retry_after = math.ceil(WINDOW_SECONDS - (now - recent[0]))
            raise OperationRefused(
                429,
                f"too many {action} requests: at most {self.per_minute} a minute; "
                f"try again in {retry_after} s",
                retry_after,
            )
        recent.append(now)

    @asynccontextmanager
    async def run(
        self,
        db: Session,
        *,
        actor: str,
        action: str,
        target: str,
        rate_limited: bool = True,
        **detail: object,
    ) -> AsyncIterator[None]:
        """Run one operation: refused if rate limited or another one runs; always audited.

        Operations of admins on other users (a class's restarts, renames, deletes) pass
        ``rate_limited=False``.
        """
        lock = self._locks[target]
        if lock.locked():
            raise OperationRefused(
                409, f"another operation on {target}'s server is in progress; try again shortly"
            )
        if rate_limited:
            self._take_slot(actor, action)
        async with lock:
            try:
                yield
            except Exception as e:
                audit.record(
                    db, actor=actor, action=action, target=target, result="error",
                    message=str(getattr(e, "message", None) or e), **detail,
                )  # fmt: skip
                OPERATIONS.labels(action, "error").inc()
                raise
            audit.record(db, actor=actor, action=action, target=target, **detail)
            OPERATIONS.labels(action, "ok").inc()

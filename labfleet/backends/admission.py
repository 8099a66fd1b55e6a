"""Starts admitted a few at a time, in the order they were asked for.

When a workshop's participants all press Start at once, starting every server together
makes each start as slow as all of them and some time out; admitted a few at a time, each
start is quick and the others wait their turn, their spawn page showing their place.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class Admission:
    """At most ``at_once`` holders at a time; the others wait in order of arrival."""

    def __init__(self, at_once: int):
        self.at_once = at_once
        self.admitted: set[Hashable] = set()
        self.waiting: dict[Hashable, asyncio.Future] = {}  # in order of arrival

    def place(self, key: Hashable) -> int | None:
        """How many wait ahead of ``key`` (None: ``key`` does not wait)."""
        for place, waiting in enumerate(self.waiting):
            if waiting == key:
                return place
        return None

    @contextlib.asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        """Hold one of the places while the block runs, after waiting for it if need be."""
        if len(self.admitted) >= self.at_once or self.waiting:
            admitted = asyncio.get_running_loop().create_future()
            self.waiting[key] = admitted
            try:
                await admitted
            except asyncio.CancelledError:
                if self.waiting.pop(key, None) is None:
                    self._release(key)  # admitted just as it was cancelled
                raise
        else:
            self.admitted.add(key)
        try:
            yield
        finally:
            self._release(key)

    def _release(self, key: Hashable) -> None:
        self.admitted.discard(key)
        while self.waiting and len(self.admitted) < self.at_once:
            first = next(iter(self.waiting))
            admitted = self.waiting.pop(first)
            if not admitted.done():
                self.admitted.add(first)
                admitted.set_result(None)

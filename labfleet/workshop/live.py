"""Live updates: each new event goes to the pages that follow the events (server-sent events)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

QUEUE = 100  # events a slow page may fall behind before it is dropped


@dataclass(eq=False)
class Follower:
    """One open page: the users whose events it may see (None: everyone's), its queue."""

    users: Collection[str] | None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))
    behind: bool = False  # let go, too far behind: the page's stream ends, and it reconnects


class Live:
    """The followers of the events, told of each new one."""

    def __init__(self) -> None:
        self.followers: set[Follower] = set()

    def follow(self, users: Collection[str] | None) -> Follower:
        follower = Follower(users)
        self.followers.add(follower)
        return follower

    def leave(self, follower: Follower) -> None:
        self.followers.discard(follower)

    def publish(self, event: dict[str, Any]) -> None:
        """Tell every follower who may see ``event`` (a page too far behind is let go)."""
        for follower in list(self.followers):
            if follower.users is not None and event["user"] not in follower.users:
                continue
            try:
                follower.queue.put_nowait(event)
            except asyncio.QueueFull:
                self.leave(follower)
                follower.behind = True

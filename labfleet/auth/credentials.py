"""Generated passwords that an admin may still reveal: each one once, for a short time; and
how a terminal shows one (the first admin's, a reset on the hub's machine)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


def framed(lines: Iterable[str]) -> str:
    """Lines that stand out in a terminal's output: ruled off, with blank lines around."""
    rule = "=" * 60
    return "\n".join(["", rule, *lines, rule, ""])


@dataclass(frozen=True)
class Kept:
    password: str
    expires: float  # time.monotonic()
    reveal_until: datetime


class Credentials:
    """In memory only: a password leaves when it is revealed or its time is up."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._kept: dict[str, Kept] = {}

    def keep(self, username: str, password: str) -> datetime:
        """Keep ``username``'s new password for one reveal; returns until when."""
        kept = Kept(
            password,
            time.monotonic() + self.seconds,
            datetime.now(timezone.utc) + timedelta(seconds=self.seconds),
        )
        self._kept[username] = kept
        # drop it when its time is up, even if nobody asks again
        asyncio.get_running_loop().call_later(self.seconds, self._drop_expired)
        return kept.reveal_until

    def reveal(self, usernames: Iterable[str]) -> list[tuple[str, str]]:
        """(username, password) of those still revealable, in the order asked; each only once."""
        self._drop_expired()
        return [
            (name, self._kept.pop(name).password) for name in dict.fromkeys(usernames)
            if name in self._kept
        ]  # fmt: skip

    def reveal_until(self, username: str) -> datetime | None:
        self._drop_expired()
        kept = self._kept.get(username)
        return kept.reveal_until if kept else None

    def forget(self, username: str) -> None:
        self._kept.pop(username, None)

    def rename(self, old: str, new: str) -> None:
        if old in self._kept:
            self._kept[new] = self._kept.pop(old)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for name in [n for n, kept in self._kept.items() if kept.expires <= now]:
            del self._kept[name]

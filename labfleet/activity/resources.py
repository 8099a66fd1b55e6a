"""Live use of the running servers: CPU %, memory and volume sizes, measured in the background.

The dashboard never waits for a backend: it reads the last measurement of each server and
its time. CPU % is the CPU time used between two measurements over the time between them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

MEASURE_TIMEOUT = 30  # a backend that takes longer keeps its last value
AT_ONCE = 4  # servers measured at a time


class Measurable(Protocol):
    """What of a backend the measurements use (``labfleet.backends.Backend``)."""

    async def usage(self, spawner: Any) -> Any: ...

    async def list_volumes(self, username: str) -> list[Any]: ...


@dataclass(frozen=True)
class Resources:
    """One server's last measurement (None: the backend cannot tell)."""

    cpu_percent: float | None
    memory_bytes: int | None
    volume_bytes: int | None
    measured: float  # time.time() of the measurement
    cpu_seconds: float | None = None  # for the next CPU %

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "cpu_percent": None if self.cpu_percent is None else round(self.cpu_percent, 1),
            "memory_bytes": self.memory_bytes,
            "volume_bytes": self.volume_bytes,
            "age_seconds": round(now - self.measured, 1),
        }


def cpu_percent(before: Resources | None, cpu_seconds: float | None, now: float) -> float | None:
    """CPU % since ``before`` (100: one core busy), None without two readings."""
    if before is None or before.cpu_seconds is None or cpu_seconds is None:
        return None
    elapsed = now - before.measured
    if elapsed <= 0:
        return None
    return max(0.0, 100.0 * (cpu_seconds - before.cpu_seconds) / elapsed)


class ResourceMonitor:
    """Keeps the last measurement of every running server."""

    def __init__(self, backend: Measurable, log: logging.Logger):
        self.backend, self.log = backend, log
        self.last: dict[str, Resources] = {}
        self._gate = asyncio.Semaphore(AT_ONCE)

    async def measure(self, spawners: Iterable[Any]) -> None:
        """Measure the running servers ``spawners``; forget the servers that stopped."""
        spawners = list(spawners)
        names = {spawner.user.name for spawner in spawners}
        for gone in set(self.last) - names:
            del self.last[gone]
        await asyncio.gather(*(self._one(spawner) for spawner in spawners))

    async def _one(self, spawner: Any) -> None:
        name = spawner.user.name
        async with self._gate:
            try:
                usage, volumes = await asyncio.wait_for(
                    asyncio.gather(self.backend.usage(spawner), self.backend.list_volumes(name)),
                    MEASURE_TIMEOUT,
                )
            except Exception as e:  # a slow or failing backend: the last value stays
                self.log.warning("Could not measure %s's server: %s", name, e)
                return
        now = time.time()
        sizes = [v.size_bytes for v in volumes if v.exists and v.size_bytes is not None]
        self.last[name] = Resources(
            cpu_percent=cpu_percent(self.last.get(name), usage.cpu_seconds, now),
            memory_bytes=usage.memory_bytes,
            volume_bytes=sum(sizes) if sizes else None,
            measured=now,
            cpu_seconds=usage.cpu_seconds,
        )

    def of(self, name: str) -> Resources | None:
        return self.last.get(name)

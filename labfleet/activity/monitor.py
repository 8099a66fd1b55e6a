"""Activity monitoring on the running hub: rounds of samples, pruning, live measurements."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session
from tornado.ioloop import PeriodicCallback

from .. import servers
from ..metrics import ACTIVE_USERS, RUNNING_SERVERS
from . import sampling
from .config import Activity
from .resources import Measurable, ResourceMonitor


class ActivityMonitor:
    """Takes a round every ``sample_interval`` and measures running servers in between."""

    def __init__(
        self,
        *,
        db: Session,
        config: Activity,
        backend: Measurable,
        users: Callable[[], Any],  # JupyterHub's UserDict (made after the monitor)
        log: logging.Logger,
    ):
        self.db, self.config, self._users, self.log = db, config, users, log
        self.resources = ResourceMonitor(backend, log)

    def sample(self) -> sampling.Round:
        """One round now, then the rounds older than ``retention_days`` pruned."""
        now = datetime.now(timezone.utc)
        taken = sampling.take_round(
            self.db, now, self.config.inactive_after, self.config.half_life_hours
        )
        cutoff = now - timedelta(days=self.config.retention_days)
        sampling.prune(self.db, cutoff, self.config.half_life_hours)
        ACTIVE_USERS.set(taken.active)
        RUNNING_SERVERS.set(taken.running)
        return taken

    async def measure(self) -> None:
        """Measure every running server (in the background; never waited for by a page)."""
        running = servers.running(self.db)
        users = self._users()
        spawners = [users[s.user].spawner for s in running]
        await self.resources.measure([s for s in spawners if s.ready])

    def start(self) -> None:
        if not self.config.enabled:
            return
        PeriodicCallback(self.sample, 1000 * self.config.sample_interval).start()
        PeriodicCallback(self.measure, 1000 * self.config.stats_interval).start()

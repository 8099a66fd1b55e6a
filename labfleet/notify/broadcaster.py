"""Broadcasts on the running hub: send now, at a time, to late starters, and the culler's warning."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from jupyterhub import orm
from sqlalchemy.orm import Session
from tornado.ioloop import PeriodicCallback

from .. import culling, servers
from ..db.models import Broadcast
from ..metrics import BROADCAST_RESULTS
from ..timestamps import utc
from . import history, messages, recipients, tickets
from .config import Notifications
from .delivery import EXTENSION, NOT_RUNNING, Outcome, Target, deliver, tls_context


@dataclass(frozen=True)
class ProxyRoute:
    """Where servers are reached: the proxy's public scheme and port, on this machine."""

    scheme: str
    address: str  # the proxy's listening address, as the hub connects to it
    netloc: str  # the Host of a request for a server without subdomains

    @classmethod
    def of(cls, bind_url: str) -> ProxyRoute:
        bound = urlsplit(bind_url)
        address = bound.hostname or "127.0.0.1"
        if address in ("0.0.0.0", ""):
            address = "127.0.0.1"
        elif address == "::":
            address = "::1"
        return cls(scheme=bound.scheme, address=address, netloc=bound.netloc)

    def server_url(self, base_url: str, host: str | None, route: str = tickets.INGEST) -> str:
        """The URL of ``route`` on the server at ``base_url`` (on its own ``host`` with
        subdomains): by default the notification extension's ingest route."""
        netloc = self.netloc
        if host:
            port = urlsplit(f"//{self.netloc}").port
            netloc = f"{urlsplit(host).hostname}:{port}" if port else urlsplit(host).hostname
        return f"{self.scheme}://{netloc}{base_url}{route}"


def now() -> datetime:
    return datetime.now(timezone.utc)


class Broadcaster:
    """Sends broadcasts for the hub and keeps their history."""

    def __init__(
        self,
        *,
        db: Session,
        users: Callable[[], Any],  # JupyterHub's UserDict (made after the broadcaster)
        config: Notifications,
        culling_config: culling.Culling,
        secret: bytes,
        route: ProxyRoute,
        panel_url: str,
        log: logging.Logger,
    ):
        self.db, self._users, self.config = db, users, config
        self.culling, self.secret, self.route = culling_config, secret, route
        self.panel_url, self.log = panel_url, log
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._warned: dict[str, str] = {}  # user -> the deadline they were warned of
        self._tls: ssl.SSLContext | None = None

    @property
    def users(self) -> Any:
        """JupyterHub's UserDict."""
        return self._users()

    # -- the servers -------------------------------------------------------------------

    def start_key(self, nonce: str) -> bytes:
        """The key of the server start whose nonce is ``nonce`` (see :mod:`.tickets`)."""
        return tickets.server_key(self.secret, nonce)

    def target(self, user: Any, routed: bool = False, route: str = tickets.INGEST) -> Target | None:
        """``route`` on the server of ``user``, if it takes requests (``routed``: its route was
        just added, before the hub counts the start as done)."""
        spawner = user.spawner
        if spawner.server is None or getattr(spawner, "restarting", False):
            return None
        if not routed and (not spawner.ready or spawner.pending):
            return None
        base_url = spawner.server.base_url
        host = user.host if user.settings.get("subdomain_host") else None
        return Target(
            username=user.name,
            url=self.route.server_url(base_url, host, route),
            key=spawner.notify_key,  # this start's: a server adopted without one refuses
        )

    def targets(self, chosen: list[str] | None) -> tuple[list[Target], list[Outcome]]:
        """The servers of the users ``chosen`` (None: every running one); those not running."""
        if chosen is None:
            running = servers.running(self.db)
            orm_users = [s.user for s in running]
        else:
            orm_users = self.db.query(orm.User).filter(orm.User.name.in_(chosen)).all()
        targets, missed = [], []
        for orm_user in sorted(orm_users, key=lambda u: u.name):
            target = self.target(self.users[orm_user])
            if target is None:
                missed.append(Outcome(orm_user.name, False, NOT_RUNNING))
            else:
                targets.append(target)
        return targets, missed

    def tls(self) -> ssl.SSLContext | None:
        """How the proxy's certificate is checked (None: the proxy speaks plain HTTP)."""
        if self._tls is None and self.route.scheme == "https":
            self._tls = tls_context(self.config.ca_certs)
        return self._tls

    async def post(
        self,
        targets: list[Target],
        body: bytes,
        *,
        extension: str = EXTENSION,
        timeout: float | None = None,
    ) -> list[Outcome]:
        """Post ``body`` to every target (a route of ``extension``) as broadcasts go: through
        the proxy, with a ticket each, ``notifications.concurrency`` at a time."""
        return await deliver(
            targets,
            body,
            proxy_address=self.route.address,
            tls=self.tls(),
            concurrency=self.config.concurrency,
            timeout=timeout or self.config.timeout,
            ticket_seconds=self.config.ticket_seconds,
            extension=extension,
        )

    async def _deliver(self, row: Broadcast, targets: list[Target]) -> list[Outcome]:
        return await self.post(targets, messages.ingest_body(history.message_of(row), row.id))

    # -- sending ---------------------------------------------------------------------

    async def send(self, row: Broadcast) -> list[Outcome]:
        """Send ``row`` to its recipients now; its outcomes, kept in the history."""
        started = time.monotonic()
        row.status = "sending"
        self.db.commit()
        chosen = recipients.chosen(self.db, history.recipients_of(row))
        targets, missed = self.targets(chosen)
        outcomes = sorted([*await self._deliver(row, targets), *missed], key=lambda o: o.username)
        history.record(self.db, row, outcomes, time.monotonic() - started)
        delivered = sum(o.delivered for o in outcomes)
        BROADCAST_RESULTS.labels("delivered").inc(delivered)
        BROADCAST_RESULTS.labels("failed").inc(len(outcomes) - delivered)
        self.log.info(
            "Broadcast %d (%s) %r: delivered to %d of %d in %.2f s",
            row.id, row.kind, row.message[:50], delivered, len(outcomes), row.seconds or 0,
        )  # fmt: skip
        for outcome in outcomes:
            if not outcome.delivered:
                self.log.info(
                    "Broadcast %d not delivered to %s: %s", row.id, outcome.username, outcome.reason
                )
        return outcomes

    def schedule(self, row: Broadcast) -> None:
        """Send ``row`` at its time (at once if that has passed, as after the hub was down)."""
        delay = max(0.0, (utc(row.scheduled_for) - now()).total_seconds())
        loop = asyncio.get_running_loop()
        self._timers[row.id] = loop.call_later(delay, self._send_scheduled, row.id)

    def _send_scheduled(self, broadcast_id: int) -> None:
        self._timers.pop(broadcast_id, None)
        row = self.db.get(Broadcast, broadcast_id)
        if row is not None and row.status == "scheduled":
            asyncio.ensure_future(self.send(row))

    def cancel(self, row: Broadcast) -> None:
        """Cancel a scheduled broadcast."""
        timer = self._timers.pop(row.id, None)
        if timer is not None:
            timer.cancel()
        row.status = "cancelled"
        self.db.commit()

    def start(self) -> None:
        """Once the hub runs: the broadcasts a stopped hub left unfinished, the scheduled
        ones, and the culler's warnings."""
        for row in history.mark_interrupted(self.db):
            self.log.warning(
                "Broadcast %d was being sent when the hub stopped: marked interrupted "
                "(send it again if it still matters)", row.id,
            )  # fmt: skip
        for row in history.scheduled(self.db):
            self.schedule(row)
        if self.culling.enabled and self.culling.warning_minutes:
            every = 1000 * min(self.culling.every, 60)
            PeriodicCallback(self.warn_idle, every).start()

    # -- servers that start later, and servers about to be culled ---------------------

    def server_routed(self, user: Any) -> None:
        """A server is reachable (its route added): send it what it missed, if asked to."""
        if self.config.replay_minutes:
            asyncio.ensure_future(self._replay(user))

    async def _replay(self, user: Any) -> None:
        target = self.target(user, routed=True)
        if target is None:
            return
        created = utc(user.orm_user.created)
        for row in history.replayable(self.db, user.name, self.config.replay_minutes, created):
            if history.recipients_of(row).includes(user.orm_user):
                started = time.monotonic()
                outcomes = await self._deliver(row, [target])
                history.record(self.db, row, outcomes, time.monotonic() - started)

    async def warn_idle(self) -> None:
        """Tell each user whose server is culled soon when, and where to extend it."""
        moment = now()
        window = 60 * self.culling.warning_minutes
        running = servers.running(self.db)
        for orm_spawner in running.all():
            user = self.users[orm_spawner.user]
            session = culling.spawner_session(self.culling, self.db, user.spawner, moment)
            left, deadline = session["seconds_left"], session["deadline"]
            if left is None or not 0 < left <= window or self._warned.get(user.name) == deadline:
                continue
            self._warned[user.name] = deadline
            at = utc(datetime.fromisoformat(deadline))
            minutes = max(1, round(left / 60))
            text = (
                f"Your server stops at {at:%H:%M} UTC (in {minutes} minute"
                f"{'s' * (minutes != 1)}) unless you use it. Extend it in the control panel."
            )
            row = history.create(
                self.db,
                actor="labfleet",
                kind="cull-warning",
                message=messages.Message(text, "warning", auto_close=False, link=self.panel_url),
                recipients=recipients.Recipients(users=(user.name,)),
            )
            await self.send(row)

"""Who a request to a user's server comes from: JupyterHub's answer, and the hub's tickets.

A request to the notification extension's ingest route (or labfleet's routes of material and
workshop mode) that carries a ticket (:mod:`labfleet.notify.tickets`) signed with this
server's key is the hub delivering a broadcast (or handing out files, or telling the server
workshop mode): it is admitted to that route alone, once. Every other request is
JupyterHub's to judge, as without labfleet.
"""

from __future__ import annotations

import time

from jupyter_server.auth import User
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from traitlets import Bytes, default

from ..notify import tickets

# the key handed over by the server's entry point (python -m labfleet.singleuser)
_handed_key = {"key": b""}


def hand_over_key(key: bytes) -> None:
    """Give the identity provider this server's key (read once, as the server starts)."""
    _handed_key["key"] = key


class TicketIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's identity provider, admitting the hub's tickets to the ingest route."""

    notify_key = Bytes(
        help="This server's key for the hub's notification tickets (empty: none admitted)."
    ).tag(config=True)

    @default("notify_key")
    def _notify_key_default(self) -> bytes:
        return _handed_key["key"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._used: dict[str, int] = {}  # tickets admitted once, until they expire

    async def get_user(self, handler):
        header = handler.request.headers.get("Authorization", "")
        if not header.startswith(tickets.SCHEME + " "):
            return await super().get_user(handler)
        if not (self.notify_key and self._takes_tickets(handler)):
            return None
        request = handler.request
        problem = tickets.check(self.notify_key, header, request.path, request.body)
        if problem is None and header in self._used:
            problem = "ticket used already"
        if problem is not None:
            self.log.warning("Refused a notification ticket: %s", problem)
            return None
        # a ticket is remembered until it expires: after that it is refused anyway
        now = time.time()
        self._used = {t: exp for t, exp in self._used.items() if exp >= now}
        self._used[header] = tickets.expiry(header)
        handler._token_authenticated = True  # a credential in a header: no XSRF check
        handler.labfleet_ticket = True
        return User(username="labfleet-notifications", name="labfleet notifications")

    @staticmethod
    def _takes_tickets(handler) -> bool:
        """The notification extension's ingest route and labfleet's routes of material and
        workshop mode (POST)."""
        from .material import MaterialHandler
        from .save_events import WorkshopModeHandler

        routes: tuple[type, ...] = (MaterialHandler, WorkshopModeHandler)
        try:
            from jupyterlab_notifications_extension.routes import NotificationIngestHandler
        except ImportError:
            pass
        else:
            routes += (NotificationIngestHandler,)
        return isinstance(handler, routes) and handler.request.method == "POST"

"""Settings of broadcasts (the ``notifications`` section of labfleet.yaml)."""

from __future__ import annotations

from typing import ClassVar

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable

from ..db.models import Broadcast, BroadcastResult
from ..db.user_rows import UserColumn


class Notifications(Configurable):
    """How broadcasts reach users' servers."""

    # what reached each recipient; who sent a broadcast, and to whom, stay in its record
    user_rows: ClassVar = (
        UserColumn(BroadcastResult),
        UserColumn(Broadcast, "actor", keyed="record"),
        UserColumn(Broadcast, "recipients", keyed="record"),
    )

    concurrency = Integer(
        50, min=1, help="Servers a broadcast is sent to at once (the rest wait their turn)."
    ).tag(config=True)

    timeout = Float(
        5.0, min=0.1, help="Seconds a server has to take a notification before it counts as failed."
    ).tag(config=True)

    ticket_seconds = Integer(
        120,
        min=10,
        help="Seconds the credential of one delivery stays valid: it admits that one message "
        "to that one server's notification route, nothing else.",
    ).tag(config=True)

    replay_minutes = Integer(
        0,
        min=0,
        help="A user whose server starts later still gets the broadcasts of this many last "
        "minutes that were meant for them (0: off).",
    ).tag(config=True)

    ca_certs = Unicode(
        "",
        help="CA bundle to check the proxy's TLS certificate with, when the hub serves HTTPS "
        "with a certificate of its own CA (empty: the system's CAs).",
    ).tag(config=True)

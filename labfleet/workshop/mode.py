"""Workshop mode in running servers: whether they send notebook saves, and participants'
autosave interval, changed without restarting them.

A server gets the mode in its arguments when it starts; running servers are told, through
the proxy with a ticket for labfleet's route (:mod:`labfleet.singleuser.save_events`), as
broadcasts travel: when the mode is turned on or off, and when the hub starts (labfleet.yaml
may say otherwise than when the servers it adopts were told).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from .. import servers
from ..notify.broadcaster import Broadcaster
from ..notify.delivery import NOT_RUNNING, Outcome, Target
from ..singleuser.save_events import MODE_ROUTE
from .config import Workshop
from .handout import EXTENSION
from .people import is_participant


def mode_of(config: Workshop, participant: bool) -> dict[str, Any]:
    """What a server is told: send saves or not, their content limit, the autosave interval
    (participants' while the mode is on; else 0, JupyterLab's own)."""
    return {
        "enabled": config.enabled,
        "content_limit_kb": config.content_limit_kb,
        "autosave_seconds": config.autosave_seconds if config.enabled and participant else 0,
    }


async def tell(broadcaster: Broadcaster, config: Workshop, db: Session) -> list[Outcome]:
    """Tell every running server the mode now; one outcome per server."""
    bodies: dict[bytes, list[Target]] = {}
    missed = []
    for orm_spawner in servers.running(db):
        orm_user = orm_spawner.user
        target = broadcaster.target(broadcaster.users[orm_user], route=MODE_ROUTE)
        if target is None:
            missed.append(Outcome(orm_user.name, False, NOT_RUNNING))
            continue
        body = json.dumps(mode_of(config, is_participant(orm_user, config))).encode()
        bodies.setdefault(body, []).append(target)
    outcomes = list(missed)
    for body, targets in bodies.items():
        outcomes += await broadcaster.post(targets, body, extension=EXTENSION)
    return sorted(outcomes, key=lambda o: o.username)

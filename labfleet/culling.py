"""Idle culling with per-user, bounded extensions.

The hub computes each server's deadline (:func:`session_info`); the culler service
(:mod:`labfleet.culler`) runs jupyterhub-idle-culler and asks the hub for that
deadline through its cull arbiter, so what the user sees is what the culler does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session
from traitlets import Bool, Integer
from traitlets.config import Configurable

from .db.models import SessionExtension
from .db.user_rows import UserColumn
from .timestamps import iso, utc


class Culling(Configurable):
    """Settings of idle culling (the ``culling`` section of labfleet.yaml)."""

    user_rows: ClassVar = (UserColumn(SessionExtension),)  # the hours a user added

    enabled = Bool(True, help="Stop servers that have been idle for too long.").tag(config=True)

    idle_timeout = Integer(
        3600, min=1, help="Seconds a server may stay idle before it is stopped."
    ).tag(config=True)

    every = Integer(60, min=1, help="Seconds between two checks for idle servers.").tag(config=True)

    max_age = Integer(
        0, min=0, help="Seconds after its start when a server is stopped even if active (0: never)."
    ).tag(config=True)

    max_extension_hours = Integer(
        8, min=0, help="Whole hours a user may add to the idle timeout of a running server."
    ).tag(config=True)

    warning_minutes = Integer(
        10,
        min=0,
        help="Minutes before a server is stopped for being idle when its user is warned: the "
        "control panel shows it, and a notification in JupyterLab says when, with a link to "
        "the panel to extend (0: no warning).",
    ).tag(config=True)


def session_info(
    culling: Culling,
    *,
    now: datetime,
    running: bool,
    started: datetime | None,
    last_activity: datetime | None,
    extended_hours: int,
) -> dict:
    """What the session API answers: deadline, time left and hours that can be added."""
    info = {
        "running": running,
        "culling": culling.enabled,
        "idle_timeout": culling.idle_timeout,
        "max_extension_hours": culling.max_extension_hours,
        "extended_hours": extended_hours if running else 0,
        "hours_addable": culling.max_extension_hours - extended_hours if running else 0,
        "started": iso(started),
        "last_activity": iso(last_activity),
        "deadline": None,
        "seconds_left": None,
        "warning": False,
    }
    if not (running and culling.enabled and started):
        return info
    idle_since = last_activity or started
    deadline = idle_since + timedelta(seconds=culling.idle_timeout, hours=extended_hours)
    if culling.max_age:
        deadline = min(deadline, started + timedelta(seconds=culling.max_age))
    seconds_left = max(0, int((deadline - now).total_seconds()))
    info.update(
        deadline=iso(deadline),
        seconds_left=seconds_left,
        warning=seconds_left < 60 * culling.warning_minutes,
    )
    return info


def spawner_session(culling: Culling, db: Session, spawner: Any, now: datetime) -> dict:
    """:func:`session_info` of a JupyterHub spawner (its user's default server)."""
    started = utc(spawner.orm_spawner.started)
    return session_info(
        culling,
        now=now,
        running=spawner.ready,
        started=started,
        last_activity=utc(spawner.orm_spawner.last_activity),
        extended_hours=extended_hours(db, spawner.user.name, started),
    )


def extended_hours(db: Session, username: str, started: datetime | None) -> int:
    """Hours added to the server of ``username`` started at ``started`` (0 for a new server)."""
    row = db.get(SessionExtension, username)
    if row is None or started is None or utc(row.server_started) != started:
        return 0
    return row.hours


def add_hours(db: Session, username: str, started: datetime, hours: int) -> None:
    """Record ``hours`` as the extension of the server started at ``started``."""
    row = db.get(SessionExtension, username) or SessionExtension(username=username)
    row.server_started = started
    row.hours = hours
    db.add(row)
    db.commit()

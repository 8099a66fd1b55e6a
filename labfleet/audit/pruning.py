"""Pruning the audit log: its settings (the ``audit`` section) and the periodic deletion."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from sqlalchemy import delete
from sqlalchemy.orm import Session
from tornado.ioloop import PeriodicCallback
from traitlets import Integer
from traitlets.config import Configurable

from ..db.models import AuditEvent
from ..db.user_rows import UserColumn


class AuditLog(Configurable):
    """Audit log settings (the ``audit`` section of labfleet.yaml)."""

    # who did what to whom, under the names of the time: kept until pruned
    user_rows: ClassVar = (
        UserColumn(AuditEvent, "actor", keyed="record"),
        UserColumn(AuditEvent, "target", keyed="record"),
    )

    retention_days = Integer(
        90, min=0, help="Days an audit event is kept; older ones are deleted (0: kept forever)."
    ).tag(config=True)

    prune_every = Integer(
        3600, min=1, help="Seconds between two deletions of the events older than retention_days."
    ).tag(config=True)


def prune(db: Session, retention_days: int, now: datetime) -> int:
    """Delete the events older than ``retention_days`` (0: none); how many were deleted."""
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    deleted = db.execute(delete(AuditEvent).where(AuditEvent.timestamp < cutoff)).rowcount
    db.commit()
    return deleted


def start_pruning(db: Session, settings: AuditLog, log: logging.Logger) -> PeriodicCallback | None:
    """Prune now, then every ``prune_every`` seconds (nothing when events are kept forever)."""
    if not settings.retention_days:
        return None

    def run() -> None:
        try:
            deleted = prune(db, settings.retention_days, datetime.now(timezone.utc))
        except Exception:
            log.exception("Could not delete the expired audit events")
            db.rollback()
            return
        if deleted:
            log.info("Deleted %d audit events older than %d days", deleted, settings.retention_days)

    run()
    job = PeriodicCallback(run, settings.prune_every * 1000)
    job.start()
    return job

"""Recording audit events: one row per operation, committed at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..db.models import AuditEvent


def record(
    db: Session, *, actor: str, action: str, target: str, result: str = "ok", **detail: Any
) -> AuditEvent:
    """Write one audit event and commit it."""
    event = AuditEvent(actor=actor, action=action, target=target, result=result, detail=detail)
    db.add(event)
    db.commit()
    return event

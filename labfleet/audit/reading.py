"""Reading the audit log: filters from query arguments, pages of events newest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..arguments import whole_number
from ..db.models import AuditEvent
from ..timestamps import parse_time, utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10**9


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list, newest first: ``user`` is the actor or the target."""

    user: str | None = None
    action: str | None = None  # an action (server.start) or a family (server)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The filter as query arguments (e.g. the link to the next page)."""
        values = {**asdict(self), **changes}
        return {
            key: value.isoformat() if isinstance(value, datetime) else str(value)
            for key, value in values.items()
            if value not in (None, "")
            and not (key == "limit" and value == DEFAULT_LIMIT)
            and not (key == "offset" and value == 0)
        }


def parse_filter(argument: Callable[[str], str | None]) -> AuditFilter:
    """The filter given by query arguments (``argument(name)``); ValueError says what is wrong."""
    since, until = argument("since"), argument("until")
    parsed = AuditFilter(
        user=argument("user") or None,
        action=argument("action") or None,
        since=parse_time("since", since) if since else None,
        until=parse_time("until", until) if until else None,
        limit=whole_number("limit", argument("limit") or str(DEFAULT_LIMIT), 1, MAX_LIMIT),
        offset=whole_number("offset", argument("offset") or "0", 0, MAX_OFFSET),
    )
    if parsed.since and parsed.until and parsed.since > parsed.until:
        raise ValueError("since must not be after until")
    return parsed


def find(db: Session, wanted: AuditFilter) -> tuple[list[AuditEvent], int]:
    """One page of the events ``wanted`` selects, newest first, and how many it selects."""
    conditions = []
    if wanted.user:
        conditions.append(or_(AuditEvent.actor == wanted.user, AuditEvent.target == wanted.user))
    if wanted.action:
        family = AuditEvent.action.startswith(f"{wanted.action}.")
        conditions.append(or_(AuditEvent.action == wanted.action, family))
    if wanted.since:
        conditions.append(AuditEvent.timestamp >= wanted.since)
    if wanted.until:
        conditions.append(AuditEvent.timestamp <= wanted.until)
    total = db.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
    events = db.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.timestamp.desc(), AuditEvent.id.desc())
        .limit(wanted.limit)
        .offset(wanted.offset)
    ).all()
    return list(events), total or 0


def action_choices(db: Session) -> list[str]:
    """Every action in the log and their families (``server`` for ``server.*``), sorted."""
    actions = set(db.scalars(select(AuditEvent.action).distinct()))
    return sorted(actions | {a.split(".")[0] for a in actions if "." in a})


def to_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "timestamp": utc(event.timestamp).isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "result": event.result,
        "detail": event.detail or {},
    }

"""Broadcasts as the database keeps them: created, scheduled, sent, with each result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..db.models import Broadcast, BroadcastResult
from ..timestamps import iso, utc
from .delivery import Outcome
from .messages import Message
from .recipients import Recipients

PAGE = 20  # broadcasts a page of the history lists
MAX_PAGE = 200


def create(
    db: Session,
    *,
    actor: str,
    message: Message,
    recipients: Recipients,
    scheduled_for: datetime | None = None,
    kind: str = "broadcast",
) -> Broadcast:
    """A new broadcast, scheduled or about to be sent, committed."""
    row = Broadcast(
        actor=actor,
        kind=kind,
        message=message.text,
        type=message.type,
        auto_close=message.auto_close,
        link=message.link,
        recipients=recipients.to_json(),
        scheduled_for=scheduled_for,
        status="scheduled" if scheduled_for else "sending",
        delivered=0,
        failed=0,
    )
    db.add(row)
    db.commit()
    return row


def message_of(row: Broadcast) -> Message:
    return Message(text=row.message, type=row.type, auto_close=row.auto_close, link=row.link)


def recipients_of(row: Broadcast) -> Recipients:
    spec = row.recipients
    return Recipients(
        all=bool(spec.get("all")),
        groups=tuple(spec.get("groups", ())),
        users=tuple(spec.get("users", ())),
    )


def record(db: Session, row: Broadcast, outcomes: Sequence[Outcome], seconds: float) -> None:
    """Keep the outcomes of a delivery of ``row`` (its first, or a late starter's)."""
    now = datetime.now(timezone.utc)
    if outcomes:
        db.execute(
            insert(BroadcastResult),
            [
                {
                    "broadcast_id": row.id,
                    "username": o.username,
                    "delivered": o.delivered,
                    "reason": o.reason,
                    "seconds": round(o.seconds, 4),
                    "at": now,
                }
                for o in outcomes
            ],
        )
    delivered = sum(o.delivered for o in outcomes)
    row.delivered += delivered
    row.failed += len(outcomes) - delivered
    if row.status != "sent":
        row.status, row.sent, row.seconds = "sent", now, round(seconds, 4)
    db.commit()


def results(db: Session, broadcast_id: int) -> list[BroadcastResult]:
    return list(
        db.scalars(
            select(BroadcastResult)
            .filter_by(broadcast_id=broadcast_id)
            .order_by(BroadcastResult.delivered, BroadcastResult.username)
        )
    )


def page(db: Session, limit: int, offset: int) -> tuple[list[Broadcast], int]:
    """Broadcasts newest first, and how many there are."""
    total = db.scalar(select(func.count()).select_from(Broadcast)) or 0
    rows = db.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def scheduled(db: Session) -> list[Broadcast]:
    return list(db.scalars(select(Broadcast).filter_by(status="scheduled")))


def mark_interrupted(db: Session) -> list[Broadcast]:
    """Mark "interrupted" the broadcasts a hub that stopped left "sending" (committed).

    They are not sent again: the results are kept once every server has answered, so
    which servers showed the message is unknown, and a second copy is worse than none.
    """
    rows = list(db.scalars(select(Broadcast).filter_by(status="sending")))
    for row in rows:
        row.status = "interrupted"
    db.commit()
    return rows


def replayable(
    db: Session, username: str, minutes: int, created: datetime | None
) -> list[Broadcast]:
    """Broadcasts of the last ``minutes`` that ``username`` has not received yet, sent since
    the user was ``created`` (an earlier user of the name had their own)."""
    since = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    since = max(since, created) if created else since
    received = select(BroadcastResult.broadcast_id).filter_by(username=username, delivered=True)
    return list(
        db.scalars(
            select(Broadcast)
            .filter(
                Broadcast.kind == "broadcast",
                Broadcast.status == "sent",
                Broadcast.sent >= since,
                Broadcast.id.not_in(received),
            )
            .order_by(Broadcast.id)
        )
    )


def to_json(row: Broadcast, outcomes: Sequence[BroadcastResult] | None = None) -> dict[str, Any]:
    """A broadcast as the API answers it; with its results when they are given."""
    answer: dict[str, Any] = {
        "id": row.id,
        "created": iso(utc(row.created)),
        "actor": row.actor,
        "kind": row.kind,
        "message": row.message,
        "type": row.type,
        "auto_close": row.auto_close,
        "link": row.link,
        "recipients": row.recipients,
        "status": row.status,
        "scheduled_for": iso(utc(row.scheduled_for)),
        "sent": iso(utc(row.sent)),
        "seconds": row.seconds,
        "delivered": row.delivered,
        "failed": row.failed,
    }
    if outcomes is not None:
        answer["results"] = [
            {
                "username": o.username,
                "delivered": o.delivered,
                "reason": o.reason,
                "seconds": o.seconds,
            }
            for o in outcomes
        ]
    return answer

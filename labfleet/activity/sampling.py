"""Rounds of activity samples: take one, prune old ones, reset; the weights kept with them.

A round reads every user in one query (whatever their number: no pages to miss) and
writes one row per active user (:func:`.scoring.is_active`, from what they did themselves:
:mod:`.seen`); the users it does not list were inactive in it. Each
round decays every user's weight and the total by the time since the last, then adds 1
where it applies (:mod:`.scoring`), all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jupyterhub import orm
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from .. import servers
from ..db.models import ActivityRound, ActivitySample, ActivityTotals, ActivityWeight
from ..timestamps import utc
from . import scoring, seen


@dataclass(frozen=True)
class Round:
    """What a round found."""

    taken: datetime
    users: int
    active: int
    running: int


def totals(db: Session) -> ActivityTotals | None:
    return db.get(ActivityTotals, 1)


def take_round(db: Session, now: datetime, inactive_after: int, half_life_hours: float) -> Round:
    """Sample every user at ``now`` (aware UTC): active if their server runs and they used it
    within ``inactive_after`` seconds."""
    users = db.scalar(select(func.count(orm.User.id)))
    running = {user_id for (user_id,) in servers.running(db).with_entities(orm.Spawner.user_id)}
    own = seen.own_activity(db)
    active = [u for u in running if scoring.is_active(True, own.get(u), now, inactive_after)]
    kept = totals(db)
    if kept is None:
        kept = ActivityTotals(id=1, weight=0.0, as_of=now)
        db.add(kept)
    factor = scoring.decay(max(0.0, (now - utc(kept.as_of)).total_seconds()), half_life_hours)
    row = ActivityRound(taken=now, active=len(active), running=len(running))
    db.add(row)
    db.flush()
    if active:
        db.execute(insert(ActivitySample), [{"round_id": row.id, "user_id": u} for u in active])
    db.execute(update(ActivityWeight).values(weight=ActivityWeight.weight * factor))
    weighed = set(
        db.scalars(select(ActivityWeight.user_id).where(ActivityWeight.user_id.in_(active)))
    )
    if weighed:
        db.execute(
            update(ActivityWeight)
            .where(ActivityWeight.user_id.in_(weighed))
            .values(weight=ActivityWeight.weight + 1.0)
        )
    new = [u for u in active if u not in weighed]
    if new:
        db.execute(insert(ActivityWeight), [{"user_id": u, "weight": 1.0} for u in new])
    kept.weight = kept.weight * factor + 1.0
    kept.as_of = now
    db.commit()
    return Round(taken=now, users=users, active=len(active), running=len(running))


def prune(db: Session, before: datetime, half_life_hours: float) -> int:
    """Delete the rounds taken before ``before``, and take their weight out; how many."""
    kept = totals(db)
    old = db.execute(
        select(ActivityRound.id, ActivityRound.taken).where(ActivityRound.taken < before)
    ).all()
    if kept is None or not old:
        return 0
    as_of = utc(kept.as_of)
    for round_id, taken in old:
        weight = scoring.decay((as_of - utc(taken)).total_seconds(), half_life_hours)
        kept.weight = max(0.0, kept.weight - weight)
        active = select(ActivitySample.user_id).where(ActivitySample.round_id == round_id)
        db.execute(
            update(ActivityWeight)
            .where(ActivityWeight.user_id.in_(active))
            .values(weight=ActivityWeight.weight - weight)
        )
        db.execute(delete(ActivitySample).where(ActivitySample.round_id == round_id))
    db.execute(update(ActivityWeight).where(ActivityWeight.weight < 0).values(weight=0.0))
    db.execute(delete(ActivityRound).where(ActivityRound.taken < before))
    db.commit()
    return len(old)


def reset(db: Session) -> int:
    """Delete every sample, round and weight; how many rounds there were."""
    count = db.query(ActivityRound).count()
    for table in (ActivitySample, ActivityWeight, ActivityRound, ActivityTotals):
        db.execute(delete(table))
    db.commit()
    return count

"""What the activity dashboard and API show: a row per user, sorted, filtered and paged;
the chart of active users over time, ending with the counts the page shows now; each
user's activity by hour; how much sampling the figures rest on."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jupyterhub import orm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import culling
from ..arguments import MAX_OFFSET, whole_number
from ..db.models import ActivityRound, ActivitySample, ActivityWeight, SessionExtension
from ..timestamps import iso, utc
from . import scoring, seen
from .config import Activity
from .resources import Resources
from .sampling import totals

STATES = ("active", "idle", "offline")
SORTS = ("name", "state", "score", "hours", "cpu", "memory", "volume", "time_left")
PAGE, MAX_PAGE = 50, 500
MIN_SPAN = timedelta(hours=1)  # the chart's time axis covers at least this much


@dataclass(frozen=True)
class Wanted:
    """The filter, order and page asked for."""

    search: str = ""
    state: str | None = None
    sort: str = "score"
    descending: bool = True
    limit: int = PAGE
    offset: int = 0


def parse_wanted(argument: Callable[[str], str | None]) -> Wanted:
    """The query arguments of a request; ValueError saying which one is wrong."""
    state = argument("state") or None
    if state is not None and state not in STATES:
        raise ValueError(f"state is one of {', '.join(STATES)}")
    sort = argument("sort") or "score"
    if sort not in SORTS:
        raise ValueError(f"sort is one of {', '.join(SORTS)}")
    order = argument("order") or ("asc" if sort == "name" else "desc")
    if order not in ("asc", "desc"):
        raise ValueError("order is asc or desc")
    limit = whole_number("limit", argument("limit") or str(PAGE), 1, MAX_PAGE)
    offset = whole_number("offset", argument("offset") or "0", 0, MAX_OFFSET)
    return Wanted(
        search=(argument("search") or "").strip().lower(),
        state=state,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )


def user_rows(
    db: Session,
    config: Activity,
    culling_config: culling.Culling,
    resources: Callable[[str], Resources | None],
    now: datetime,
) -> list[dict[str, Any]]:
    """A row for every user of the hub (one query for the users and their servers, one for
    their own activity)."""
    kept = totals(db)
    total = kept.weight if kept else 0.0
    day = scoring.rounds_a_day(config.sample_interval)
    weights = dict(db.execute(select(ActivityWeight.user_id, ActivityWeight.weight)).all())
    own = seen.own_activity(db)
    extensions = {e.username: e for e in db.scalars(select(SessionExtension))}  # for the time left
    servers = db.execute(
        select(
            orm.User.id, orm.User.name,
            orm.Spawner.server_id, orm.Spawner.started, orm.Spawner.last_activity,
        ).outerjoin(orm.Spawner, (orm.Spawner.user_id == orm.User.id) & (orm.Spawner.name == ""))
    ).all()  # fmt: skip
    clock = time.time()
    rows = []
    for user_id, name, server_id, started, server_activity in servers:
        running = server_id is not None
        last = own.get(user_id)
        active = scoring.is_active(running, last, now, config.inactive_after)
        state = "active" if active else "idle" if running else "offline"
        weight = weights.get(user_id, 0.0)
        row = {
            "name": name,
            "state": state,
            "score": round(scoring.score(weight, total, day, config.target_hours), 1),
            "hours_a_day": round(scoring.active_hours_a_day(weight, total, day), 2),
            "last_activity": iso(last),
            "seconds_left": None,
            "cpu_percent": None,
            "memory_bytes": None,
            "volume_bytes": None,
            "age_seconds": None,
            "_id": user_id,
        }
        if running:
            started = utc(started)
            extension = extensions.get(name)
            same_start = extension and started and utc(extension.server_started) == started
            hours = extension.hours if same_start else 0
            row["seconds_left"] = culling.session_info(
                culling_config, now=now, running=True, started=started,
                last_activity=utc(server_activity), extended_hours=hours,
            )["seconds_left"]  # fmt: skip
            measured = resources(name)
            if measured is not None:
                row.update(measured.to_json(clock))
        rows.append(row)
    return rows


SORT_KEYS: dict[str, Callable[[dict], Any]] = {
    "name": lambda r: r["name"],
    "state": lambda r: STATES.index(r["state"]),
    "score": lambda r: r["score"],
    "hours": lambda r: r["hours_a_day"],
    "cpu": lambda r: r["cpu_percent"],
    "memory": lambda r: r["memory_bytes"],
    "volume": lambda r: r["volume_bytes"],
    "time_left": lambda r: r["seconds_left"],
}


def select_rows(rows: Sequence[dict], wanted: Wanted) -> list[dict]:
    """The rows the filter keeps, in the order asked (unknown values last, then by name)."""
    kept = [
        r for r in rows
        if (not wanted.search or wanted.search in r["name"].lower())
        and (wanted.state is None or r["state"] == wanted.state)
    ]  # fmt: skip
    key = SORT_KEYS[wanted.sort]
    known = sorted((r for r in kept if key(r) is not None), key=lambda r: r["name"])
    known.sort(key=key, reverse=wanted.descending)
    return known + sorted((r for r in kept if key(r) is None), key=lambda r: r["name"])


def hourly_activity(
    db: Session, user_ids: Sequence[int], now: datetime, days: int
) -> dict[int, list[float | None]]:
    """For each user, the share of each hour's rounds they were active in, oldest first
    (None for an hour without rounds: the hub was down)."""
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    hours = days * 24 + 1

    def slot(taken: datetime) -> int:
        return min(hours - 1, int((utc(taken) - start).total_seconds() // 3600))

    rounds = db.execute(
        select(ActivityRound.id, ActivityRound.taken).where(ActivityRound.taken >= start)
    ).all()
    per_slot = [0] * hours
    slot_of = {}
    for round_id, taken in rounds:
        slot_of[round_id] = slot(taken)
        per_slot[slot_of[round_id]] += 1
    active: dict[int, list[int]] = defaultdict(lambda: [0] * hours)
    if user_ids and rounds:
        # by user (their index): a user's samples are few, the rounds' many
        samples = db.execute(
            select(ActivitySample.user_id, ActivitySample.round_id).where(
                ActivitySample.user_id.in_(user_ids)
            )
        )
        for user_id, round_id in samples:
            if round_id in slot_of:
                active[user_id][slot_of[round_id]] += 1
    return {
        u: [round(a / n, 2) if n else None for a, n in zip(active[u], per_slot, strict=True)]
        for u in user_ids
    }


def chart_span(first: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """What the chart's time axis covers: from its first point to now, an hour at least."""
    return min(first or now, now - MIN_SPAN), now


def chart(db: Session, since: datetime, now: datetime, current: dict[str, int]) -> dict:
    """Active users and running servers at every round since ``since``, then at ``now`` as
    ``current`` (the page's counts of each state) has them; the span of the time axis."""
    rounds = db.execute(
        select(ActivityRound.taken, ActivityRound.active, ActivityRound.running)
        .where(ActivityRound.taken >= since)
        .order_by(ActivityRound.taken)
    ).all()
    start, end = chart_span(utc(rounds[0].taken) if rounds else None, now)
    return {
        "times": [*(iso(utc(t)) for t, _, _ in rounds), iso(now)],
        "active": [*(a for _, a, _ in rounds), current["active"]],
        "running": [*(r for _, _, r in rounds), current["active"] + current["idle"]],
        "start": iso(start),
        "end": iso(end),
    }


def samples(db: Session, config: Activity) -> dict[str, Any]:
    """How much sampling the scores rest on: the rounds kept, the first, the (decayed) hours
    they stand for, and whether that is less than a day (hours a day: the hours seen)."""
    kept = totals(db)
    total = kept.weight if kept else 0.0
    rounds, first = db.execute(
        select(func.count(ActivityRound.id), func.min(ActivityRound.taken))
    ).one()
    return {
        "rounds": rounds,
        "first": iso(utc(first)),
        "hours": round(scoring.sampled_hours(total, config.sample_interval), 2),
        "few": scoring.few_samples(total, scoring.rounds_a_day(config.sample_interval)),
    }


CSV_COLUMNS = (
    "name", "state", "score", "hours_a_day", "cpu_percent", "memory_bytes", "volume_bytes",
    "seconds_left", "last_activity",
)  # fmt: skip


def public(row: dict) -> dict:
    """A row as the API answers it."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def counts(rows: Sequence[dict]) -> dict[str, int]:
    return {state: sum(r["state"] == state for r in rows) for state in STATES}


def last_round(db: Session) -> datetime | None:
    return utc(db.scalar(select(ActivityRound.taken).order_by(ActivityRound.taken.desc())))

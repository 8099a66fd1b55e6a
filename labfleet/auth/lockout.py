"""Failed logins by name and source, kept in the database (a hub restart keeps a lockout).

A source (:func:`labfleet.auth.throttle.source_of`) that fails ``limit`` times in a row
under one name is locked out of that name until ``window`` seconds after its last failure;
other sources are not, so an attacker cannot lock a student out. Names that do not exist
are counted alike: a lockout tells nothing about which names exist. Counts whose last
failure is older than the window are forgotten.

Rows are read and written as plain rows (never objects of the hub's session), so a change
made from outside (``labfleet users unlock``) is seen at once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from ..db.models import FailedLogins
from ..timestamps import utc

COLUMNS = (
    FailedLogins.username,
    FailedLogins.source,
    FailedLogins.failures,
    FailedLogins.last_failure,
)


def read(db: Session, names: Iterable[str] | None = None) -> dict[str, list[Row]]:
    """The counts (username, source, failures, last_failure) of each of ``names`` (of
    every name: None), by name."""
    query = select(*COLUMNS)
    if names is not None:
        query = query.where(FailedLogins.username.in_(list(names)))
    found: dict[str, list[Row]] = defaultdict(list)
    for row in db.execute(query):
        found[row.username].append(row)
    return found


def seconds_locked(rows: Iterable[Row], limit: int, window: int, now: datetime) -> int:
    """Seconds until the last of the sources of ``rows`` that are locked out may try
    again (0: none is; ``limit`` 0: never)."""
    if not limit:
        return 0
    waits = [
        window - (now - utc(row.last_failure)).total_seconds()
        for row in rows
        if row.failures >= limit
    ]
    return max(0, math.ceil(max(waits, default=0)))


def failed_logins(rows: Iterable[Row], window: int, now: datetime) -> int:
    """The failures of ``rows`` that are still counted."""
    return sum(
        row.failures for row in rows if (now - utc(row.last_failure)).total_seconds() < window
    )


def count(db: Session, username: str, source: str, window: int, now: datetime) -> int:
    """One more failure of ``source`` under ``username`` (after a count whose last failure is
    older than ``window``: the first), the counts past forgotten; committed. The count."""
    db.execute(
        delete(FailedLogins).where(FailedLogins.last_failure < now - timedelta(seconds=window))
    )
    key = (FailedLogins.username == username) & (FailedLogins.source == source)
    added = db.execute(
        update(FailedLogins).where(key).values(failures=FailedLogins.failures + 1, last_failure=now)
    )
    if not added.rowcount:
        db.execute(
            insert(FailedLogins).values(
                username=username, source=source, failures=1, last_failure=now
            )
        )
    db.commit()
    return db.execute(select(FailedLogins.failures).where(key)).scalar_one()


def forget(db: Session, username: str, source: str | None = None) -> int:
    """Forget the failures under ``username`` from ``source`` (None: every source); not
    committed. How many sources had some."""
    key = FailedLogins.username == username
    if source is not None:
        key &= FailedLogins.source == source
    return db.execute(delete(FailedLogins).where(key)).rowcount

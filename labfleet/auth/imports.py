"""What each roster import made, so that an admin can undo it: the users and groups it
created, by JupyterHub's ids. A user renamed since is still the import's; a user or group
deleted since goes from the record with it, so a new one of the same name is never taken
for the import's."""

from __future__ import annotations

from datetime import datetime, timezone

from jupyterhub import orm
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import RosterImport, RosterImportGroup, RosterImportUser
from ..timestamps import iso, utc

MAX_SOURCE = 255


def begin(db: Session, actor: str, source: str) -> RosterImport:
    """A new record, committed (what the import makes is added as it is made)."""
    record = RosterImport(actor=actor, source=source[:MAX_SOURCE])
    db.add(record)
    db.commit()
    return record


def made_user(db: Session, record: RosterImport, user: orm.User) -> None:
    db.add(RosterImportUser(import_id=record.id, user_id=user.id))
    db.commit()


def made_group(db: Session, record: RosterImport, group: orm.Group) -> None:
    db.add(RosterImportGroup(import_id=record.id, group_id=group.id))
    db.commit()


def left(db: Session, import_id: int) -> tuple[list[orm.User], list[orm.Group]]:
    """The users and groups the import made that still exist, by name."""
    users = db.scalars(
        select(orm.User)
        .join(RosterImportUser, RosterImportUser.user_id == orm.User.id)
        .where(RosterImportUser.import_id == import_id)
        .order_by(orm.User.name)
    )
    groups = db.scalars(
        select(orm.Group)
        .join(RosterImportGroup, RosterImportGroup.group_id == orm.Group.id)
        .where(RosterImportGroup.import_id == import_id)
        .order_by(orm.Group.name)
    )
    return list(users), list(groups)


def end(db: Session, record: RosterImport) -> dict | None:
    """The record as :func:`summary` shows it, or None (and no record) if it made nothing."""
    users, groups = left(db, record.id)
    if users or groups:
        return summary(record, users, groups)
    db.delete(record)
    db.commit()
    return None


def mark_undone(db: Session, record: RosterImport) -> None:
    record.undone = datetime.now(timezone.utc)
    db.commit()


def recent(db: Session, limit: int) -> list[RosterImport]:
    return list(db.scalars(select(RosterImport).order_by(RosterImport.id.desc()).limit(limit)))


def summary(record: RosterImport, users: list[orm.User], groups: list[orm.Group]) -> dict:
    """An import as the API shows it: what it made that is still there."""
    return {
        "id": record.id,
        "created": iso(utc(record.created)),
        "actor": record.actor,
        "source": record.source,
        "undone": iso(utc(record.undone)),
        "users": [u.name for u in users],
        "groups": [g.name for g in groups],
    }

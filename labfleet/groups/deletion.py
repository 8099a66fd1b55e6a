"""Deleting a group: its members keep their accounts and files, and lose what it grants at
their servers' next start. A group whose properties labfleet.yaml sets is refused: the
next start would make it again."""

from __future__ import annotations

from jupyterhub import orm
from sqlalchemy.orm import Session
from tornado import web

from .. import audit
from .config import Groups


def delete(db: Session, group: orm.Group, config: Groups, *, actor: str, **detail: object) -> None:
    """Delete ``group`` (409 for one of labfleet.yaml), committed and audited."""
    name = group.name
    if name in config.properties:
        raise web.HTTPError(
            409,
            f"Group {name} is set in labfleet.yaml (groups.properties), which makes it again "
            "at every start: remove it there",
        )
    db.delete(group)
    db.commit()
    audit.record(db, actor=actor, action="group.delete", target=name, **detail)

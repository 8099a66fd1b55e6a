"""The servers labfleet counts as running: each user's default server that has a server
(labfleet's features act on the default server)."""

from __future__ import annotations

from jupyterhub import orm
from sqlalchemy.orm import Query, Session


def running(db: Session) -> Query:
    """The spawners of the running default servers."""
    return db.query(orm.Spawner).filter(orm.Spawner.server_id.isnot(None), orm.Spawner.name == "")

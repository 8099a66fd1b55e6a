"""Who takes part in a workshop: instructors (and admins) and participants."""

from __future__ import annotations

from jupyterhub import orm
from sqlalchemy.orm import Session

from .config import Workshop


def is_instructor(user: orm.User, config: Workshop) -> bool:
    return bool(user.admin) or any(g.name == config.instructors_group for g in user.groups)


def is_participant(user: orm.User, config: Workshop) -> bool:
    """Neither admin nor instructor; a member of the participants' group when there is one."""
    if is_instructor(user, config):
        return False
    return not config.participants_group or any(
        g.name == config.participants_group for g in user.groups
    )


def participants(db: Session, config: Workshop) -> list[orm.User]:
    """The participants, by name."""
    users = db.query(orm.User).order_by(orm.User.name)
    return [u for u in users if is_participant(u, config)]

"""Who takes part in a workshop: instructors (and admins) and participants."""

from __future__ import annotations

from jupyterhub import orm
from sqlalchemy.orm import Session, selectinload

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


def users_with_groups(db: Session) -> list[orm.User]:
    """Every user, by name, with their groups read in the same go (not one query a user)."""
    return db.query(orm.User).options(selectinload(orm.User.groups)).order_by(orm.User.name).all()


def participants(db: Session, config: Workshop) -> list[orm.User]:
    """The participants, by name."""
    return [u for u in users_with_groups(db) if is_participant(u, config)]

"""Who a broadcast goes to: every running server, members of groups, or named users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jupyterhub import orm
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Recipients:
    """``all`` running servers; else the members of ``groups`` and the ``users`` named."""

    all: bool = False
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        if self.all:
            return {"all": True}
        return {"groups": list(self.groups), "users": list(self.users)}

    def includes(self, user: orm.User) -> bool:
        """Whether ``user`` is among them now (for a server that starts later)."""
        return (
            self.all
            or user.name in self.users
            or any(group.name in self.groups for group in user.groups)
        )


def _names(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f'"{what}" must be a list of names')
    return tuple(dict.fromkeys(value))


def parse_recipients(value: Any) -> Recipients:
    """The ``recipients`` of an API request; ValueError saying what is wrong."""
    if value is None:
        value = {"all": True}
    if not isinstance(value, dict) or set(value) - {"all", "groups", "users"}:
        raise ValueError(
            '"recipients" is {"all": true}, {"groups": [...]} or {"users": [...]} (or both lists)'
        )
    if value.get("all") is True:
        if value.get("groups") or value.get("users"):
            raise ValueError('"recipients": "all" cannot be combined with groups or users')
        return Recipients(all=True)
    groups = _names(value.get("groups", []), "groups")
    users = _names(value.get("users", []), "users")
    if not groups and not users:
        raise ValueError('"recipients" names no group and no user: give some, or {"all": true}')
    return Recipients(groups=groups, users=users)


def check_known(db: Session, recipients: Recipients) -> None:
    """ValueError naming the groups and users of ``recipients`` that do not exist."""
    problems = []
    if recipients.groups:
        known = {
            g for (g,) in db.query(orm.Group.name).filter(orm.Group.name.in_(recipients.groups))
        }
        missing = [g for g in recipients.groups if g not in known]
        if missing:
            problems.append(f"no group {', '.join(missing)}")
    if recipients.users:
        known = {u for (u,) in db.query(orm.User.name).filter(orm.User.name.in_(recipients.users))}
        missing = [u for u in recipients.users if u not in known]
        if missing:
            problems.append(f"no user {', '.join(missing)}")
    if problems:
        raise ValueError(f"Unknown recipients: {'; '.join(problems)}")


def chosen(db: Session, recipients: Recipients) -> list[str] | None:
    """The names of the users chosen, sorted (None: everyone with a running server)."""
    if recipients.all:
        return None
    names = set(recipients.users)
    if recipients.groups:
        members = (
            db.query(orm.User.name)
            .join(orm.User.groups)
            .filter(orm.Group.name.in_(recipients.groups))
        )
        names.update(name for (name,) in members)
    return sorted(names)

"""The people of a hub as the People page lists them: found by name and group in the
database, then by state; a page without a state filter reads the rows of its people alone.

A person is a hub user, a native account (a sign-up waiting for approval is not a hub
user yet), or both. Their states, the filters of the page:

- ``running``, ``pending``, ``stopped``: their default server;
- ``suspended`` (logins refused by an admin), ``waiting`` (a sign-up), ``no_password``
  (a hub user made elsewhere, e.g. JupyterHub's admin page), ``locked`` (failed logins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jupyterhub import orm
from jupyterhub.user import UserDict
from nativeauthenticator.orm import UserInfo
from sqlalchemy import Row
from sqlalchemy.orm import Session, selectinload

from ..db.models import Account
from . import lockout

STATES = ("running", "pending", "stopped", "suspended", "waiting", "no_password", "locked")


@dataclass(frozen=True)
class Person:
    """One person's rows: the hub user, the native account, labfleet's account row, the
    counts of failed logins under their name (one per source)."""

    name: str
    user: orm.User | None
    info: UserInfo | None
    row: Account | None
    failures: tuple[Row, ...]


def server_state(users: UserDict, user: orm.User | None) -> str | None:
    """running, pending or stopped: the default server (None: not a hub user). Read from
    the spawner the hub holds if it made one, else from the database, without making one."""
    if user is None:
        return None
    wrapped = dict.get(users, user.id)
    spawner = wrapped.spawners.get("") if wrapped is not None else None
    if spawner is not None:
        return "running" if spawner.ready else "pending" if spawner.pending else "stopped"
    orm_spawner = user.orm_spawners.get("")
    return "running" if orm_spawner is not None and orm_spawner.server else "stopped"


def states(person: Person, server: str | None, locked: bool) -> set[str]:
    """Every state of :data:`STATES` that ``person`` is in."""
    found = {server} if server else set()
    if person.info is None:
        found.add("no_password")
    elif not person.info.is_authorized:
        found.add("suspended" if person.user is not None else "waiting")
    if locked:
        found.add("locked")
    return found


MAX_IN = 500  # names a query names at most; past it, every row is read and picked from


def names(db: Session, search: str = "", group: str = "") -> list[str]:
    """The names of the people whose name holds ``search`` (any case) and, if given, who
    are in ``group``, sorted: two queries of names alone."""
    users = db.query(orm.User.name)
    infos = db.query(UserInfo.username)
    if search:
        users = users.filter(orm.User.name.icontains(search, autoescape=True))
        infos = infos.filter(UserInfo.username.icontains(search, autoescape=True))
    if group:
        # only hub users are members (not sign-ups waiting for approval)
        users = users.filter(orm.User.groups.any(orm.Group.name == group))
        infos = infos.filter(UserInfo.username.in_(users.scalar_subquery()))
    return sorted({name for (name,) in users} | {name for (name,) in infos})


def load(db: Session, wanted: list[str]) -> list[Person]:
    """The people named ``wanted``, in that order, their rows as the database has them:
    four queries, whatever their number."""

    def rows(query, column):
        if len(wanted) <= MAX_IN:
            query = query.filter(column.in_(wanted))
        return query

    users = rows(
        db.query(orm.User).options(
            selectinload(orm.User.groups), selectinload(orm.User._orm_spawners)
        ),
        orm.User.name,
    )
    found = {u.name: u for u in users}
    infos = {i.username: i for i in rows(db.query(UserInfo), UserInfo.username)}
    accounts = rows(db.query(Account).populate_existing(), Account.username)
    labfleet_rows = {r.username: r for r in accounts}
    failures = lockout.read(db, wanted if len(wanted) <= MAX_IN else None)
    return [
        Person(
            name,
            found.get(name),
            infos.get(name),
            labfleet_rows.get(name),
            tuple(failures.get(name, ())),
        )
        for name in wanted
    ]


def matching(
    people: Iterable[Person],
    state: str,
    users: UserDict,
    seconds_locked: Callable[[Iterable[Row]], int],
) -> list[Person]:
    """The people in ``state`` (all without one)."""
    if not state:
        return list(people)
    return [
        person
        for person in people
        if state
        in states(person, server_state(users, person.user), seconds_locked(person.failures) > 0)
    ]

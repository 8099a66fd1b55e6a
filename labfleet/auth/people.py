"""The people of a hub as the People page lists them: found, filtered and paged in the
database at once, so that a page of 50 among thousands costs a few queries, whoever asks.

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
from sqlalchemy.orm import Session, selectinload

from ..db.models import Account

STATES = ("running", "pending", "stopped", "suspended", "waiting", "no_password", "locked")


@dataclass(frozen=True)
class Person:
    """One person's rows: the hub user, the native account, labfleet's account row."""

    name: str
    user: orm.User | None
    info: UserInfo | None
    row: Account | None


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


def everyone(db: Session) -> list[Person]:
    """Every person, by name: four queries, whatever their number."""
    users = {
        u.name: u
        for u in db.query(orm.User).options(
            selectinload(orm.User.groups), selectinload(orm.User._orm_spawners)
        )
    }
    infos = {i.username: i for i in db.query(UserInfo)}
    rows = {r.username: r for r in db.query(Account)}
    return [
        Person(name, users.get(name), infos.get(name), rows.get(name))
        for name in sorted(users.keys() | infos.keys())
    ]


def matching(
    people: Iterable[Person],
    *,
    search: str = "",
    group: str = "",
    state: str = "",
    users: UserDict,
    locked: Callable[[str], bool],
) -> list[Person]:
    """The people whose name holds ``search`` (any case), in ``group``, in ``state``."""
    needle = search.casefold()
    found = []
    for person in people:
        if needle and needle not in person.name.casefold():
            continue
        if group and (person.user is None or group not in {g.name for g in person.user.groups}):
            continue
        if state and state not in states(
            person, server_state(users, person.user), locked(person.name)
        ):
            continue
        found.append(person)
    return found

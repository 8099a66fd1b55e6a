"""Account changes an admin makes through the API: create, reset passwords, rosters, delete.

Hashing is slow on purpose (bcrypt): it runs on the hashing pool (:mod:`labfleet.blocking`),
and the database changes follow one user at a time, each committed and audited on its
own so that one failure never undoes the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jupyterhub import orm, roles
from jupyterhub.auth import Authenticator
from jupyterhub.metrics import TOTAL_USERS
from jupyterhub.user import User, UserDict
from jupyterhub.utils import maybe_future, new_token
from sqlalchemy.orm import Session
from tornado import web
from tornado.log import app_log

from .. import audit, blocking
from ..backends.base import Backend
from ..db.user_rows import UserRows
from . import imports, passwords
from .authenticator import LabFleetAuthenticator
from .credentials import Credentials
from .roster import Entry, Rejected, Roster, masked


@dataclass
class Outcome:
    """What one roster line did: created, updated or unchanged, and how."""

    entry: Entry
    status: str
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "line": self.entry.line,
            "username": self.entry.username,
            "detail": "; ".join(self.changes),
        }


@dataclass
class RosterReport:
    """What a roster import did: each applied line, the rejected ones, who got a generated
    password, which groups were created, and the record of what it made (None: nothing)."""

    outcomes: list[Outcome] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    made: dict | None = None

    def to_json(self) -> dict:
        report = {status: [] for status in ("created", "updated", "unchanged")}
        for outcome in self.outcomes:
            report[outcome.status].append(outcome.to_json())
        return {
            **report,
            "rejected": [r.to_json() for r in self.rejected],
            "generated": self.generated,
            "groups_created": self.groups_created,
            "import": self.made,
        }


class Provisioner:
    """Account changes made by ``actor``, on the hub's database, users and backend."""

    def __init__(
        self,
        *,
        db: Session,
        authenticator: Authenticator,
        users: UserDict,
        backend: Backend,
        credentials: Credentials,
        rows: UserRows,
        actor: str,
    ):
        self.db = db
        self.authenticator = authenticator
        self.users = users
        self.backend = backend
        self.credentials = credentials
        self.rows = rows
        self.actor = actor

    def native(self) -> Provisioner:
        """This provisioner, once sure the hub keeps passwords (409 otherwise)."""
        if not isinstance(self.authenticator, LabFleetAuthenticator):
            raise web.HTTPError(
                409,
                "labfleet manages passwords only with its own authenticator; this hub "
                f"uses {type(self.authenticator).__name__}",
            )
        return self

    def find_user(self, username: str) -> User | None:
        orm_user = orm.User.find(self.db, username)
        return self.users[orm_user] if orm_user is not None else None

    def exists(self, username: str) -> bool:
        """Whether ``username`` is a hub user or has a native account (a pending sign-up)."""
        return bool(self.find_user(username) or self.authenticator.get_user(username))

    def groups(self, names: Sequence[str]) -> list[orm.Group]:
        """The JupyterHub groups named; 400 naming those that do not exist."""
        found = {name: orm.Group.find(self.db, name) for name in dict.fromkeys(names)}
        missing = [name for name, group in found.items() if group is None]
        if missing:
            raise web.HTTPError(
                400, f"No such group: {', '.join(missing)} (create groups before adding users)"
            )
        return list(found.values())

    def record(self, action: str, target: str, **detail: object) -> None:
        audit.record(self.db, actor=self.actor, action=action, target=target, **detail)

    async def create(
        self, usernames: Sequence[str], groups: Sequence[orm.Group], must_change_password: bool
    ) -> list[tuple[str, datetime]]:
        """Create users with generated passwords; (name, revealable until) of each."""
        chosen = [passwords.generate() for _ in usernames]
        hashes = await asyncio.gather(*(passwords.ahash(s) for s in chosen))
        created = []
        for username, secret, hashed in zip(usernames, chosen, hashes, strict=True):
            if self.exists(username):
                continue  # created meanwhile by another request
            await self.add_hub_user(username)
            self.authenticator.store_password(username, hashed)
            self.authenticator.account(username).must_change_password = must_change_password
            self.join(username, groups)
            self.record(
                "user.create", username, source="api", password="generated",
                groups=[g.name for g in groups], must_change_password=must_change_password,
            )  # fmt: skip
            created.append((username, self.credentials.keep(username, secret)))
        return created

    async def add_hub_user(self, username: str) -> None:
        """The JupyterHub user ``username``, created as JupyterHub's own API does."""
        orm_user = orm.User.find(self.db, username)
        if orm_user is None:
            orm_user = orm.User(name=username)
            self.db.add(orm_user)
            roles.assign_default_roles(self.db, entity=orm_user)
            TOTAL_USERS.inc()
            self.db.commit()
        await maybe_future(self.authenticator.add_user(self.users[orm_user]))

    def join(self, username: str, groups: Sequence[orm.Group]) -> list[str]:
        """Add the user to ``groups``; the names of those joined now (committed)."""
        user = orm.User.find(self.db, username)
        joined = [g for g in groups if user not in g.users]
        for group in joined:
            group.users.append(user)
        self.db.commit()
        return [g.name for g in joined]

    async def reset_password(
        self, username: str, password: str | None, must_change_password: bool | None
    ) -> datetime | None:
        """Set a given or generated password; when the generated one is revealable until.

        A hub user without a password so far may log in with it; a sign-up stays pending.
        """
        secret = password or passwords.generate()
        hashed = await passwords.ahash(secret)
        has_account = self.authenticator.get_user(username) is not None
        self.authenticator.store_password(
            username, hashed, authorized=None if has_account else True
        )
        if must_change_password is not None:
            self.authenticator.account(username).must_change_password = must_change_password
        self.db.commit()
        self.record(
            "password.reset", username, source="api", generated=password is None,
            must_change_password=self.authenticator.must_change_password(username),
        )  # fmt: skip
        if password is not None:
            self.credentials.forget(username)
            return None
        return self.credentials.keep(username, secret)

    async def approve(self, username: str) -> None:
        """Approve a native account and make sure it is a hub user."""
        self.authenticator.get_user(username).is_authorized = True
        self.db.commit()
        await self.add_hub_user(username)
        self.record("user.approve", username)

    async def suspend(self, user: User, stop: Callable[[User, str], Awaitable[None]]) -> None:
        """Refuse the user's logins and end what they have: their servers (stopped with
        ``stop``), their hub sessions (a new cookie id) and every token of theirs (OAuth
        ones included). Audited by the caller's operation."""
        pending = [name for name, spawner in user.spawners.items() if spawner.pending]
        if pending:
            raise web.HTTPError(
                409, f"{user.name}'s server is {user.spawners[pending[0]].pending}: try again soon"
            )
        self.authenticator.get_user(user.name).is_authorized = False
        self.db.commit()
        stopped = [name for name, spawner in list(user.spawners.items()) if spawner.active]
        for name in stopped:
            await stop(user, name)
        user.orm_user.cookie_id = new_token()
        tokens = list(user.orm_user.api_tokens)
        for token in tokens:
            self.db.delete(token)
        self.db.commit()

    # -- rosters --------------------------------------------------------------------

    def plan_roster(
        self, roster: Roster, create_groups: bool
    ) -> tuple[list[Entry], list[Rejected], list[str]]:
        """The lines that can be applied, every rejected line (in file order) and the groups
        to create. A line naming a group that does not exist is rejected unless
        ``create_groups``."""
        missing = {
            name
            for entry in roster.entries
            for name in entry.groups
            if orm.Group.find(self.db, name) is None
        }
        good, rejected = [], list(roster.rejected)
        for entry in roster.entries:
            lacking = [name for name in entry.groups if name in missing]
            if lacking and not create_groups:
                reason = f"no group {lacking[0]!r} (creating groups needs the admin:groups scope)"
                shown = masked(entry.username, entry.password, entry.groups)
                rejected.append(Rejected(entry.line, shown, reason))
            else:
                good.append(entry)
        new_groups = [
            name for name in dict.fromkeys(n for e in good for n in e.groups) if name in missing
        ]
        rejected.sort(key=lambda r: r.line)
        return good, rejected, new_groups

    def preview_roster(self, roster: Roster, create_groups: bool) -> dict:
        """What importing ``roster`` would do, changing nothing: the users it would create,
        the existing ones it would update (a password, groups), the rejected lines."""
        good, rejected, new_groups = self.plan_roster(roster, create_groups)
        create, existing = [], []
        for entry in good:
            shown = {"line": entry.line, "username": entry.username, "name": entry.name,
                     "groups": list(entry.groups)}  # fmt: skip
            if self.exists(entry.username):
                existing.append(shown)
            else:
                create.append({**shown, "password": "given" if entry.password else "generated"})
        return {
            "create": create,
            "existing": existing,
            "rejected": [r.to_json() for r in rejected],
            "groups_created": new_groups,
        }

    async def import_roster(
        self, roster: Roster, *, source: str, create_groups: bool, must_change_password: bool
    ) -> RosterReport:
        """Apply each good line on its own, creating the groups named that do not exist yet
        when ``create_groups`` (rejecting their lines otherwise). What it creates is
        recorded (:mod:`.imports`), so that the import can be undone."""
        good, rejected, new_groups = self.plan_roster(roster, create_groups)
        report = RosterReport(rejected=rejected)
        record = imports.begin(self.db, self.actor, source)
        for name in new_groups:
            if orm.Group.find(self.db, name) is None:  # else made meanwhile
                group = orm.Group(name=name)
                self.db.add(group)
                self.db.commit()
                imports.made_group(self.db, record, group)
                self.record("group.create", name, source="roster", roster_import=record.id)
                report.groups_created.append(name)
        groups = {name: orm.Group.find(self.db, name) for e in good for name in e.groups}
        chosen = await asyncio.gather(*(self.new_secret(entry) for entry in good))
        for entry, secret in zip(good, chosen, strict=True):
            try:
                outcome = await self.apply(
                    entry, secret, [groups[name] for name in entry.groups], must_change_password
                )
            except Exception as e:
                self.db.rollback()
                app_log.exception("Roster line %d (%s) failed", entry.line, entry.username)
                shown = masked(entry.username, entry.password, entry.groups)
                report.rejected.append(Rejected(entry.line, shown, f"not applied: {e}"))
                continue
            report.outcomes.append(outcome)
            if outcome.status == "created":
                imports.made_user(self.db, record, orm.User.find(self.db, entry.username))
            if secret and entry.password is None:
                self.credentials.keep(entry.username, secret[0])
                report.generated.append(entry.username)
        report.rejected.sort(key=lambda r: r.line)
        report.made = imports.end(self.db, record)
        return report

    async def new_secret(self, entry: Entry) -> tuple[str, bytes] | None:
        """(password, hash) when the line changes the password, else None."""
        info = self.authenticator.get_user(entry.username)
        if entry.password is None:
            if info is not None:
                return None  # keep the password the user has
            secret = passwords.generate()
        else:
            if info is not None and await passwords.averify(
                entry.password, info.password, blocking.HASHING
            ):
                return None
            secret = entry.password
        return secret, await passwords.ahash(secret)

    async def apply(
        self,
        entry: Entry,
        secret: tuple[str, bytes] | None,
        groups: Sequence[orm.Group],
        must_change_password: bool,
    ) -> Outcome:
        username = entry.username
        created = self.find_user(username) is None
        info = self.authenticator.get_user(username)
        changes = []
        if created:
            await self.add_hub_user(username)
        if secret is not None:
            self.authenticator.store_password(username, secret[1])
            given = "password set" if info is None else "password changed"
            changes.append("password generated" if entry.password is None else given)
            if must_change_password:
                self.authenticator.account(username).must_change_password = True
                self.db.commit()
                changes.append("new password asked at first login")
            if not created:
                self.record(
                    "password.reset", username, source="roster", generated=entry.password is None
                )
        elif not info.is_authorized:
            info.is_authorized = True
            self.db.commit()
            changes.append("approved")
            self.record("user.approve", username, source="roster")
        joined = self.join(username, groups)
        changes += [f"added to group {name}" for name in joined]
        if created:
            self.record(
                "user.create", username, source="roster",
                password="given" if entry.password else "generated", groups=joined,
                must_change_password=must_change_password,
            )  # fmt: skip
            return Outcome(entry, "created", changes)
        if joined:
            self.record("group.add", username, source="roster", groups=joined)
        return Outcome(entry, "updated" if changes else "unchanged", changes)

    # -- renames and deletes ----------------------------------------------------------

    def check_deletable(self, user: User) -> None:
        """Refuse (400, 409) to delete oneself, or a user whose server is starting or stopping."""
        if user.name == self.actor:
            raise web.HTTPError(400, "You cannot delete yourself")
        if user.spawner.pending:
            raise web.HTTPError(
                409, f"{user.name}'s server is {user.spawner.pending}: try again soon"
            )

    async def delete(
        self, user: User, *, delete_volumes: bool, stop: Callable[[User], Awaitable[None]]
    ) -> None:
        """Delete a hub user (checked by :meth:`check_deletable`): their server, stopped with
        ``stop``, their account and rows, and their volumes when asked (kept otherwise)."""
        if user.running:
            await stop(user)
            if user.spawner._stop_pending:
                raise web.HTTPError(409, f"{user.name}'s server is still stopping: try again soon")
        if delete_volumes:
            await self.backend.reset_volumes(user.name, [v.name for v in self.backend.volumes])
        await self.backend.forget_user(user.name, delete_volumes)
        await maybe_future(self.authenticator.delete_user(user))
        await user.delete_spawners()
        self.rows.delete(self.db, user.name, user.id)
        self.users.delete(user)  # commits the rows' deletion with the user's
        self.credentials.forget(user.name)

    def reject_signup(self, name: str) -> None:
        """Forget a sign-up never approved: the request and labfleet's rows of the name."""
        self.rows.delete(self.db, name, None)
        self.authenticator.forget(name)  # commits

    def move_rows(self, old: str, new: str) -> None:
        """Rename labfleet's rows of a user, not committed (records such as the audit log
        keep the names they were written with)."""
        if isinstance(self.authenticator, LabFleetAuthenticator):
            self.authenticator.rename_user(old, new)
        self.rows.rename(self.db, old, new)

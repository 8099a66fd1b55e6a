"""Account changes an admin makes through the API: create users, reset passwords, rosters.

Hashing is slow on purpose (bcrypt): it runs in threads, every hash of a request at
once, and the database changes follow one user at a time, each committed and audited
on its own so that one failure never undoes the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import maybe_future
from tornado import web

from .. import audit
from . import passwords
from .accounts import Accounts
from .authenticator import LabFleetAuthenticator
from .roster import Entry, Rejected, masked


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


class Provisioner:
    """Account changes made by the caller of ``handler``."""

    def __init__(self, handler: BaseHandler, accounts: Accounts):
        authenticator = handler.authenticator
        if not isinstance(authenticator, LabFleetAuthenticator):
            raise web.HTTPError(
                409,
                "labfleet manages passwords only with its own authenticator; this hub "
                f"uses {type(authenticator).__name__}",
            )
        self.handler = handler
        self.db = handler.db
        self.authenticator = authenticator
        self.credentials = accounts.credentials
        self.actor = handler.current_user.name

    def exists(self, username: str) -> bool:
        """Whether ``username`` is a hub user or has a native account (a pending sign-up)."""
        return bool(self.handler.find_user(username) or self.authenticator.get_user(username))

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
        hashes = await asyncio.gather(
            *(asyncio.to_thread(passwords.hash_password, s) for s in chosen)
        )
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
        user = self.handler.user_from_username(username)
        await maybe_future(self.authenticator.add_user(user))

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
        hashed = await asyncio.to_thread(passwords.hash_password, secret)
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

    # -- rosters --------------------------------------------------------------------

    async def import_roster(
        self, entries: Sequence[Entry], rejected: Sequence[Rejected]
    ) -> tuple[list[Outcome], list[Rejected], list[str]]:
        """Apply each good line on its own: outcomes, all rejected lines, names given passwords."""
        rejected = list(rejected)
        groups = {}
        for entry in entries:
            if entry.group and entry.group not in groups:
                groups[entry.group] = orm.Group.find(self.db, entry.group)
        good = []
        for entry in entries:
            if entry.group and groups[entry.group] is None:
                shown = masked(entry.username, entry.password, entry.group)
                rejected.append(Rejected(entry.line, shown, f"no group {entry.group!r}"))
            else:
                good.append(entry)
        chosen = await asyncio.gather(*(self.new_secret(entry) for entry in good))
        outcomes, generated = [], []
        for entry, secret in zip(good, chosen, strict=True):
            try:
                outcome = await self.apply(entry, secret, groups.get(entry.group))
            except Exception as e:
                self.db.rollback()
                self.handler.log.exception("Roster line %d (%s) failed", entry.line, entry.username)
                shown = masked(entry.username, entry.password, entry.group)
                rejected.append(Rejected(entry.line, shown, f"not applied: {e}"))
                continue
            outcomes.append(outcome)
            if secret and entry.password is None:
                self.credentials.keep(entry.username, secret[0])
                generated.append(entry.username)
        rejected.sort(key=lambda r: r.line)
        return outcomes, rejected, generated

    async def new_secret(self, entry: Entry) -> tuple[str, bytes] | None:
        """(password, hash) when the line changes the password, else None."""
        info = self.authenticator.get_user(entry.username)
        if entry.password is None:
            if info is not None:
                return None  # keep the password the user has
            secret = passwords.generate()
        else:
            if info is not None and await asyncio.to_thread(
                passwords.verify, entry.password, info.password
            ):
                return None
            secret = entry.password
        return secret, await asyncio.to_thread(passwords.hash_password, secret)

    async def apply(
        self, entry: Entry, secret: tuple[str, bytes] | None, group: orm.Group | None
    ) -> Outcome:
        username = entry.username
        created = self.handler.find_user(username) is None
        info = self.authenticator.get_user(username)
        changes = []
        if created:
            await self.add_hub_user(username)
        if secret is not None:
            self.authenticator.store_password(username, secret[1])
            given = "password set" if info is None else "password changed"
            changes.append("password generated" if entry.password is None else given)
            if not created:
                self.record(
                    "password.reset", username, source="roster", generated=entry.password is None
                )
        elif not info.is_authorized:
            info.is_authorized = True
            self.db.commit()
            changes.append("approved")
            self.record("user.approve", username, source="roster")
        joined = self.join(username, [group] if group else [])
        changes += [f"added to group {name}" for name in joined]
        if created:
            self.record(
                "user.create", username, source="roster",
                password="given" if entry.password else "generated", groups=joined,
            )  # fmt: skip
            return Outcome(entry, "created", changes)
        if joined:
            self.record("group.add", username, source="roster", groups=joined)
        return Outcome(entry, "updated" if changes else "unchanged", changes)

"""Temporary users: made by ``/hub/tmplogin`` with a random name and no password, known
again by a signed cookie of their browser, deleted some time after (with their volumes,
system account and records), a server still running stopped first. Regular users are
never deleted this way: only users this module made are in its table."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from jupyterhub import orm
from jupyterhub.proxy import Proxy
from jupyterhub.user import User
from sqlalchemy import select
from sqlalchemy.orm import Session
from tornado.ioloop import PeriodicCallback
from tornado.log import app_log

from ..db.models import TemporaryUser

# the provisioner given to these functions is a labfleet.auth.provision.Provisioner (not
# imported: it imports the authenticator, whose pages import this module)
Provisioner = Any

COOKIE = "labfleet-temporary"
PREFIX = "tmp-"


def is_temporary(db: Session, user_id: int) -> bool:
    return db.get(TemporaryUser, user_id) is not None


async def make(provisioner: Provisioner) -> User:
    """A new temporary user (not yet logged in)."""
    db = provisioner.db
    name = PREFIX + secrets.token_hex(4)
    while provisioner.exists(name):
        name = PREFIX + secrets.token_hex(4)
    await provisioner.add_hub_user(name)
    user = provisioner.find_user(name)
    db.add(TemporaryUser(user_id=user.id))
    db.commit()
    provisioner.record("user.create", name, source="temporary login")
    return user


def expired(db: Session, seconds: int, now: datetime) -> list[orm.User]:
    """Temporary users made more than ``seconds`` ago."""
    before = now - timedelta(seconds=seconds)
    return list(
        db.scalars(
            select(orm.User)
            .join(TemporaryUser, TemporaryUser.user_id == orm.User.id)
            .where(TemporaryUser.created < before)
        )
    )


def stop_with(proxy: Proxy) -> Callable[[User], Awaitable[None]]:
    """Stop a user's server as the hub's own API does: its route first, then the server."""

    async def stop(user: User) -> None:
        await proxy.delete_user(user)
        await user.stop()

    return stop


async def delete_expired(
    provisioner: Provisioner, seconds: int, stop: Callable[[User], Awaitable[None]]
) -> list[str]:
    """Delete the expired temporary users, stopping a running server first with ``stop``;
    their names. One whose server is starting or stopping waits for the next round."""
    deleted = []
    for orm_user in expired(provisioner.db, seconds, datetime.now(timezone.utc)):
        user = provisioner.users[orm_user]
        if user.spawner.pending:
            continue
        running = user.running
        try:
            await provisioner.delete(user, delete_volumes=True, stop=stop)
        except Exception:
            provisioner.db.rollback()
            app_log.exception("Could not delete the expired temporary user %s", user.name)
            continue
        provisioner.record(
            "user.delete", user.name, reason="temporary user expired", server_stopped=running
        )
        deleted.append(user.name)
    return deleted


def start_cleanup(
    provisioner: Provisioner, seconds: int, stop: Callable[[User], Awaitable[None]]
) -> PeriodicCallback:
    """Delete expired temporary users now and then (every half lifetime, at most a minute)."""

    async def cleanup() -> None:
        await delete_expired(provisioner, seconds, stop)

    every = max(1.0, min(60.0, seconds / 2))
    callback = PeriodicCallback(cleanup, 1000 * every)
    callback.start()
    return callback

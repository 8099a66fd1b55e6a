"""The People page: everyone in one list, creating users, rosters, sign-ups and groups."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from ..authz import needs_scope
from ..scopes import ADMIN_USERS
from .base import LabFleetPageHandler


class UsersPageHandler(LabFleetPageHandler):
    """GET: the page; it works through the accounts API (labfleet.apihandlers.users)."""

    @web.authenticated
    @needs_scope(ADMIN_USERS)
    async def get(self) -> None:
        await self.render_page(
            "labfleet/users.html",
            groups=[g.name for g in self.db.query(orm.Group).order_by(orm.Group.name)],
            volumes=[v.name for v in self.labfleet.backend.volumes],
            reveal_seconds=self.labfleet.accounts.reveal_seconds,
        )


default_handlers = [(r"/labfleet/users", UsersPageHandler)]

"""The notifications page: compose a broadcast, see its results and the history."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from .. import servers
from ..authz import needs_scope
from ..notify.messages import MAX_LENGTH, TYPES
from ..scopes import ADMIN_SERVERS, NOTIFY
from .base import LabFleetPageHandler


class NotificationsPage(LabFleetPageHandler):
    """GET: the form (recipients to choose from) and the history, read through the API."""

    @web.authenticated
    @needs_scope(NOTIFY, ADMIN_SERVERS)
    async def get(self) -> None:
        running = servers.running(self.db).count()
        await self.render_page(
            "labfleet/notifications.html",
            types=TYPES,
            max_length=MAX_LENGTH,
            running=running,
            groups=[name for (name,) in self.db.query(orm.Group.name).order_by(orm.Group.name)],
            user_names=[name for (name,) in self.db.query(orm.User.name).order_by(orm.User.name)],
        )


default_handlers = [(r"/labfleet/notifications", NotificationsPage)]

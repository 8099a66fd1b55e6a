"""The activity dashboard: states, scores, live use, a chart; read through the API."""

from __future__ import annotations

from tornado import web

from ..authz import needs_scope
from ..scopes import ACTIVITY, ADMIN_USERS
from .base import LabFleetPageHandler


class ActivityPage(LabFleetPageHandler):
    """GET: the page; its script reads GET /hub/api/labfleet/activity."""

    @web.authenticated
    @needs_scope(ACTIVITY, ADMIN_USERS)
    async def get(self) -> None:
        config = self.labfleet.activity.config
        await self.render_page("labfleet/activity.html", config=config)


default_handlers = [(r"/labfleet/activity", ActivityPage)]

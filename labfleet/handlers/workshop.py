"""The instructor's pages: the workshop dashboard, one notebook's tails of everyone, and a
participant's notebook rendered (sanitised, served so that nothing in it runs)."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from ..authz import needs_scope
from ..context import LabFleetContext
from ..scopes import ADMIN_USERS, WORKSHOP
from ..workshop import events, render
from .base import LabFleetPageHandler


class WorkshopPage(LabFleetPageHandler):
    """GET: the dashboard; its script reads GET /hub/api/labfleet/workshop and follows
    /hub/api/labfleet/events/stream; it turns workshop mode on and off, hands out material
    and makes links (.../workshop/mode, .../workshop/material, .../workshop/links)."""

    @staticmethod
    def in_navigation(context: LabFleetContext, user: orm.User) -> bool:
        return context.workshop.config.enabled

    @web.authenticated
    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        groups = [name for (name,) in self.db.query(orm.Group.name).order_by(orm.Group.name)]
        await self.render_page(
            "labfleet/workshop.html",
            config=self.labfleet.workshop.config,
            groups=groups,
            environments=self.labfleet.environments.profiles,
        )


class SummaryPage(LabFleetPageHandler):
    """GET ?path=: every participant's tail of one notebook, on one page."""

    @web.authenticated
    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        await self.render_page(
            "labfleet/workshop-summary.html",
            path=self.get_argument("path", ""),
            config=self.labfleet.workshop.config,
        )


class RenderedPage(LabFleetPageHandler):
    """GET: the notebook of one save as HTML, sanitised, in a sandbox without scripts."""

    @web.authenticated
    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self, event_id: str) -> None:
        row = events.find(self.db, event_id)
        if row is None:
            raise web.HTTPError(404, f"No event {event_id}")
        try:
            page = await self.labfleet.workshop.html(row)
        except ValueError as e:
            raise web.HTTPError(409, str(e)) from None
        self.set_header("Content-Security-Policy", render.POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


default_handlers = [
    (r"/labfleet/workshop", WorkshopPage),
    (r"/labfleet/workshop/summary", SummaryPage),
    (r"/labfleet/workshop/saves/([0-9]+)/html", RenderedPage),
]

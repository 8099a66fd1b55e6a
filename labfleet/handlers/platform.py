"""The platform pages for admins: settings, audit log; and the hub pages' icon."""

from __future__ import annotations

from urllib.parse import urlencode

from jupyterhub.handlers.static import LogoHandler
from tornado import web

from .. import auditing, platform
from ..branding import FAVICON_ROUTE, image_file
from ..scopes import AUDIT, PLATFORM_ADMIN_SCOPE, SETTINGS
from .base import LabFleetPageHandler


class SettingsPage(LabFleetPageHandler):
    """Every labfleet setting with its value, default and help; the GPUs."""

    @web.authenticated
    async def get(self) -> None:
        self.authorize((SETTINGS, PLATFORM_ADMIN_SCOPE))
        await self.render_page(
            "labfleet/settings.html", report=platform.report(self.labfleet.platform)
        )


class AuditPage(LabFleetPageHandler):
    """The audit log, filtered by the query arguments the API takes."""

    @web.authenticated
    async def get(self) -> None:
        self.authorize((AUDIT, PLATFORM_ADMIN_SCOPE))
        error = None
        try:
            wanted = auditing.parse_filter(lambda name: self.get_argument(name, None))
        except ValueError as e:
            error, wanted = str(e), auditing.AuditFilter()
            self.set_status(400)
        events, total = auditing.find(self.db, wanted)

        def page_url(offset: int) -> str:
            return f"?{urlencode(wanted.query_args(offset=max(offset, 0)))}"

        await self.render_page(
            "labfleet/audit.html",
            events=[auditing.to_json(e) for e in events],
            total=total,
            wanted=wanted,
            error=error,
            actions=auditing.action_choices(self.db),
            previous_url=page_url(wanted.offset - wanted.limit) if wanted.offset else None,
            next_url=page_url(wanted.offset + wanted.limit)
            if wanted.offset + wanted.limit < total
            else None,
        )


class FaviconHandler(LogoHandler):
    """The hub pages' icon, ``branding.favicon`` when it is a file; public, like /hub/logo."""

    def initialize(self) -> None:
        favicon = image_file(self.settings["labfleet"].platform.branding.favicon)
        super().initialize(path=str(favicon) if favicon else "")

    def prepare(self) -> None:
        if not self.root:
            raise web.HTTPError(404, "branding.favicon is not a file")


default_handlers = [
    (r"/labfleet/settings", SettingsPage),
    (r"/labfleet/audit", AuditPage),
    (rf"/{FAVICON_ROUTE}", FaviconHandler),
]

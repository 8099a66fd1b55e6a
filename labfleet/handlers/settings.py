"""The settings page for admins: every labfleet setting with its value, default and help."""

from __future__ import annotations

from tornado import web

from .. import settings_report
from ..authz import needs_scope
from ..scopes import ADMIN_USERS, SETTINGS
from .base import LabFleetPageHandler


class SettingsPage(LabFleetPageHandler):
    """Every labfleet setting with its value, default and help; the GPUs."""

    @web.authenticated
    @needs_scope(SETTINGS, ADMIN_USERS)
    async def get(self) -> None:
        report = settings_report.report(self.labfleet.settings, self.labfleet.gpu)
        await self.render_page("labfleet/settings.html", report=report)


default_handlers = [(r"/labfleet/settings", SettingsPage)]

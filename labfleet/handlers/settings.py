"""The settings page for admins: every labfleet setting with its value, default and help."""

from __future__ import annotations

from tornado import web

from .. import settings_report
from ..scopes import PLATFORM_ADMIN_SCOPE, SETTINGS
from .base import LabFleetPageHandler


class SettingsPage(LabFleetPageHandler):
    """Every labfleet setting with its value, default and help; the GPUs."""

    @web.authenticated
    async def get(self) -> None:
        self.authorize((SETTINGS, PLATFORM_ADMIN_SCOPE))
        report = settings_report.report(self.labfleet.settings, self.labfleet.gpu)
        await self.render_page("labfleet/settings.html", report=report)


default_handlers = [(r"/labfleet/settings", SettingsPage)]

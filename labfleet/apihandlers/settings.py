"""The platform's settings: every labfleet setting with value, default and help; the GPUs."""

from __future__ import annotations

from .. import settings_report
from ..authz import authorize
from ..scopes import PLATFORM_ADMIN_SCOPE, SETTINGS
from .base import LabFleetAPIHandler


class SettingsAPIHandler(LabFleetAPIHandler):
    """GET: the settings of every section (secrets masked) and the GPU status."""

    scope = SETTINGS

    async def get(self) -> None:
        authorize(self, (self.scope, PLATFORM_ADMIN_SCOPE))
        self.write(settings_report.report(self.labfleet.settings, self.labfleet.gpu))


default_handlers = [(r"/api/labfleet/settings", SettingsAPIHandler)]

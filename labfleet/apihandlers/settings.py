"""The platform's settings: every labfleet setting with value, default and help; the GPUs."""

from __future__ import annotations

from .. import settings_report
from ..authz import needs_scope
from ..scopes import ADMIN_USERS, SETTINGS
from .base import LabFleetAPIHandler


class SettingsAPIHandler(LabFleetAPIHandler):
    """GET: the settings of every section (secrets masked) and the GPU status."""

    @needs_scope(SETTINGS, ADMIN_USERS)
    async def get(self) -> None:
        self.write(settings_report.report(self.labfleet.settings, self.labfleet.gpu))


default_handlers = [(r"/api/labfleet/settings", SettingsAPIHandler)]

"""Base of labfleet's HTML pages under /hub/labfleet."""

from __future__ import annotations

from jupyterhub.handlers import BaseHandler

from ..context import LabFleetContext


class LabFleetPageHandler(BaseHandler):
    """A labfleet page: typed access to labfleet; its scopes declared as the API's are."""

    @property
    def labfleet(self) -> LabFleetContext:
        return self.settings["labfleet"]

    async def render_page(self, template: str, **namespace) -> None:
        self.finish(await self.render_template(template, **namespace))

"""Base of labfleet's HTML pages under /hub/labfleet."""

from __future__ import annotations

from collections.abc import Sequence

from jupyterhub.handlers import BaseHandler

from ..authz import authorize
from ..context import LabFleetContext


class LabFleetPageHandler(BaseHandler):
    """A labfleet page: typed access to labfleet and the same scope checks as the API."""

    @property
    def labfleet(self) -> LabFleetContext:
        return self.settings["labfleet"]

    def authorize(self, scopes: Sequence[str], user_name: str | None = None) -> None:
        authorize(self, scopes, user_name)

    async def render_page(self, template: str, **namespace) -> None:
        self.finish(await self.render_template(template, **namespace))

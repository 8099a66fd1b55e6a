"""Base of labfleet's HTML pages under /hub/labfleet."""

from __future__ import annotations

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler

from ..context import LabFleetContext


class LabFleetPageHandler(BaseHandler):
    """A labfleet page: typed access to labfleet; its scopes declared as the API's are."""

    @property
    def labfleet(self) -> LabFleetContext:
        return self.settings["labfleet"]

    @staticmethod
    def in_navigation(context: LabFleetContext, user: orm.User) -> bool:
        """Whether the navigation bar links this page for ``user`` (who holds its scopes)."""
        return True

    async def render_page(self, template: str, **namespace) -> None:
        self.finish(await self.render_template(template, **namespace))

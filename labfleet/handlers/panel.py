"""The control panel of any user, for admins: /hub/labfleet/users/{name}/panel."""

from __future__ import annotations

from tornado import web

from ..authz import needs_scope
from ..scopes import ADMIN_SERVERS
from .base import LabFleetPageHandler


class UserPanelHandler(LabFleetPageHandler):
    """The same panel a user has on their home page, for the user named in the path."""

    @web.authenticated
    @needs_scope(ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        target = self.find_user(user_name)
        if target is None:
            raise web.HTTPError(404, f"No such user: {user_name}")
        await self.render_page("labfleet/user_panel.html", target=target)


default_handlers = [(r"/labfleet/users/([^/]+)/panel", UserPanelHandler)]

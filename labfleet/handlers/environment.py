"""The page where a user keeps their own environment variables (an admin: anyone's)."""

from __future__ import annotations

from tornado import web

from ..authz import needs_scope
from ..scopes import ADMIN_SERVERS, ENVIRONMENT
from .base import LabFleetPageHandler


class EnvironmentPageHandler(LabFleetPageHandler):
    """GET: the user's variables, what their groups set, the reserved names."""

    @web.authenticated
    @needs_scope(ENVIRONMENT, ADMIN_SERVERS)
    async def get(self, user_name: str | None = None) -> None:
        name = user_name or self.current_user.name
        user = self.find_user(name)
        if user is None:
            raise web.HTTPError(404, f"No such user: {name}")
        await self.render_page(
            "labfleet/environment.html",
            target=user.name,
            is_self=user.name == self.current_user.name,
            view=self.labfleet.environment_view(user),
        )


default_handlers = [
    (r"/labfleet/environment", EnvironmentPageHandler),
    (r"/labfleet/users/([^/]+)/environment", EnvironmentPageHandler),
]

"""The page where a user keeps their own environment variables (an admin: anyone's)."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from ..authz import needs_scope
from ..context import LabFleetContext
from ..scopes import ADMIN_SERVERS, ENVIRONMENT
from .base import LabFleetPageHandler


class EnvironmentPageHandler(LabFleetPageHandler):
    """GET: the user's variables, what their groups set, the reserved names."""

    @staticmethod
    def in_navigation(context: LabFleetContext, user: orm.User) -> bool:
        """Linked only for users whose groups let them set variables, or who have some."""
        view = context.environment_view(user)
        return bool(view["allowed"] or view["environment"])

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

"""Routes on a user's own environment variables: read them, replace them."""

from __future__ import annotations

from tornado import web

from .. import environment
from ..authz import needs_scope
from ..groups.views import ENVIRONMENT_APPLIES
from ..scopes import ADMIN_SERVERS, ENVIRONMENT
from .base import LabFleetAPIHandler


class EnvironmentAPIHandler(LabFleetAPIHandler):
    """GET: the user's own variables. PUT {"environment": {NAME: value}}: replace them all."""

    @needs_scope(ENVIRONMENT, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        self.write(self.labfleet.environment_view(self.target_user(user_name)))

    @needs_scope(ENVIRONMENT, ADMIN_SERVERS)
    async def put(self, user_name: str) -> None:
        user = self.target_user(user_name)
        view = self.labfleet.environment_view(user)
        if not view["allowed"]:
            raise web.HTTPError(
                403,
                view["problem"]
                or f"None of {user.name}'s groups allows own environment variables "
                "(a group with user_environment: true)",
            )
        variables, problems = environment.check(self.json_object().get("environment"))
        if problems:
            raise web.HTTPError(400, f"Nothing was changed: {'; '.join(problems)}")
        async with self.operation("environment.update", user, names=sorted(variables)):
            environment.store(self.db, user.id, variables)
        count = len(variables)
        message = f"Saved {count} variable{'s' * (count != 1)}. {ENVIRONMENT_APPLIES}"
        if user.spawner.active:
            message += " The server is running: stop and start it to use them."
        self.write({**self.labfleet.environment_view(user), "message": message})


default_handlers = [(r"/api/labfleet/users/([^/]+)/environment", EnvironmentAPIHandler)]

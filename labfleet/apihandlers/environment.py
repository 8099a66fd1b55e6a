"""Routes on a user's own environment variables: read them, replace them."""

from __future__ import annotations

from typing import Any

from jupyterhub.handlers import BaseHandler
from jupyterhub.user import User
from tornado import web

from .. import environment
from ..context import LabFleetContext
from ..groups import PropertiesError, group_grants
from ..scopes import ENVIRONMENT
from .base import LabFleetAPIHandler

APPLIES = "They apply at the next start of the server."


def environment_view(handler: BaseHandler, user: User) -> dict[str, Any]:
    """A user's variables, whether their groups let them have any, and what the groups set."""
    context: LabFleetContext = handler.settings["labfleet"]
    try:
        grants = group_grants(context, user)
        allowed, from_groups, problem = grants.user_environment, grants.environment, None
    except PropertiesError as e:
        allowed, from_groups, problem = False, {}, f"{e}. An admin must correct the group."
    return {
        "allowed": allowed,
        "environment": environment.load(context.db, user.id),
        "groups_environment": from_groups,
        "reserved": environment.reserved_description(),
        "problem": problem,
        "applies": APPLIES,
    }


class EnvironmentAPIHandler(LabFleetAPIHandler):
    """GET: the user's own variables. PUT {"environment": {NAME: value}}: replace them all."""

    scope = ENVIRONMENT

    async def get(self, user_name: str) -> None:
        self.write(environment_view(self, self.target_user(user_name)))

    async def put(self, user_name: str) -> None:
        user = self.target_user(user_name)
        view = environment_view(self, user)
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
        message = f"Saved {count} variable{'s' * (count != 1)}. {APPLIES}"
        if user.spawner.active:
            message += " The server is running: stop and start it to use them."
        self.write({**environment_view(self, user), "message": message})


default_handlers = [(r"/api/labfleet/users/([^/]+)/environment", EnvironmentAPIHandler)]

"""Base of labfleet's JSON API: typed access to labfleet, the user in the path, operations.

Who may call a route is declared on each method with :func:`labfleet.authz.needs_scope`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from jupyterhub.apihandlers import APIHandler
from jupyterhub.user import User
from tornado import web

from ..backends.base import Backend
from ..context import LabFleetContext


class LabFleetAPIHandler(APIHandler):
    """A labfleet JSON route."""

    @property
    def labfleet(self) -> LabFleetContext:
        return self.settings["labfleet"]

    @property
    def backend(self) -> Backend:
        return self.labfleet.backend

    def target_user(self, user_name: str) -> User:
        """The user named in the path; 404 if there is none."""
        user = self.find_user(user_name)
        if user is None:
            raise web.HTTPError(404, f"No such user: {user_name}")
        return user

    def operation(self, action: str, user: User, **detail: object) -> AbstractAsyncContextManager:
        """Run a state-changing operation on ``user``: serialised, rate limited, audited."""
        return self.labfleet.operations.run(
            self.db, actor=self.current_user.name, action=action, target=user.name, **detail
        )

    def json_object(self) -> dict:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise web.HTTPError(400, "The body must be a JSON object")
        return body

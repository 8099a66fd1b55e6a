"""Base of labfleet's JSON API: typed access to labfleet, the user in the path, operations.

Who may call a route is declared on each method with :func:`labfleet.authz.needs_scope`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from jupyterhub.apihandlers import APIHandler
from jupyterhub.scopes import has_scope
from jupyterhub.user import User
from tornado import web

from ..backends.base import Backend
from ..context import LabFleetContext
from ..scopes import ADMIN_SERVERS


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

    def manages(self, user: User) -> bool:
        """Whether the caller manages ``user``'s server as an admin (admin:servers on them):
        they see what only admins see (host paths, the raw log) and reset any volume."""
        return has_scope(f"{ADMIN_SERVERS}!user={user.name}", self.parsed_scopes, db=self.db)

    def operation(
        self, action: str, user: User, rate_limited: bool | None = None, **detail: object
    ) -> AbstractAsyncContextManager:
        """Run a state-changing operation on ``user``: serialised, audited, and rate limited
        when a user acts on their own server (by default: an admin acting on others'
        servers, such as restarting a whole class, is not)."""
        actor = self.current_user.name
        return self.labfleet.operations.run(
            self.db, actor=actor, action=action, target=user.name,
            rate_limited=actor == user.name if rate_limited is None else rate_limited, **detail,
        )  # fmt: skip

    def json_object(self) -> dict:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise web.HTTPError(400, "The body must be a JSON object")
        return body

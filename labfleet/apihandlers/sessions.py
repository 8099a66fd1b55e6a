"""Routes on a user's session: time left before idle culling, extensions."""

from __future__ import annotations

from datetime import datetime, timezone

from jupyterhub.user import User
from tornado import web

from .. import culling
from ..authz import needs_scope
from ..scopes import ADMIN_SERVERS, SESSION
from ..timestamps import utc
from .base import LabFleetAPIHandler


class SessionBase(LabFleetAPIHandler):
    """What the session routes share: the session of a user, as the API answers it."""

    def session(self, user: User) -> dict:
        now = datetime.now(timezone.utc)
        return culling.spawner_session(self.labfleet.culling, self.db, user.spawner, now)


class SessionAPIHandler(SessionBase):
    """GET: deadline, time left and hours that can still be added."""

    @needs_scope(SESSION, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        self.write(self.session(self.target_user(user_name)))


class ExtendSessionAPIHandler(SessionBase):
    """POST {"hours": n}: add whole hours to the idle timeout, truncated at the cap."""

    @needs_scope(SESSION, ADMIN_SERVERS)
    async def post(self, user_name: str) -> None:
        user = self.target_user(user_name)
        hours = self.json_object().get("hours")
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
            raise web.HTTPError(400, 'Give a whole number of hours, at least 1: {"hours": n}')
        session = self.session(user)
        if not session["running"]:
            raise web.HTTPError(409, f"{user.name}'s server is not running")
        if not session["culling"]:
            raise web.HTTPError(409, "Idle culling is off: there is nothing to extend")
        if session["hours_addable"] == 0:
            raise web.HTTPError(
                409, f"The session is already extended by the maximum of "
                f"{session['max_extension_hours']} hours",
            )  # fmt: skip
        added = min(hours, session["hours_addable"])
        async with self.operation("session.extend", user, requested=hours, added=added):
            culling.add_hours(
                self.db,
                user.name,
                utc(user.spawner.orm_spawner.started),
                session["extended_hours"] + added,
            )
        message = f"Added {added} hour{'s' * (added != 1)}"
        if added < hours:
            message += f" of the {hours} asked: that is all that was left"
        self.write(
            {
                **self.session(user),
                "requested_hours": hours,
                "added_hours": added,
                "truncated": added < hours,
                "message": message,
            }
        )


default_handlers = [
    (r"/api/labfleet/users/([^/]+)/session", SessionAPIHandler),
    (r"/api/labfleet/users/([^/]+)/session/extend", ExtendSessionAPIHandler),
]

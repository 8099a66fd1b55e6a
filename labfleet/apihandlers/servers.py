"""Routes on a user's running server: restart in place, logs."""

from __future__ import annotations

from tornado import web

from ..authz import needs_scope
from ..scopes import ADMIN_SERVERS, LOGS, RESTART
from .base import LabFleetAPIHandler

MAX_TAIL = 5000


class RestartAPIHandler(LabFleetAPIHandler):
    """POST: restart the running server in place; answers once it answers again."""

    @needs_scope(RESTART, ADMIN_SERVERS)
    async def post(self, user_name: str) -> None:
        user = self.target_user(user_name)
        spawner = user.spawner
        if not spawner.ready or spawner.pending:
            raise web.HTTPError(409, f"{user.name}'s server is not running")
        async with self.operation("server.restart", user):
            await self.backend.restart(spawner)
            # a new process may have a new id: keep it for a hub restart
            spawner.orm_spawner.state = spawner.get_state()
            self.db.commit()
        self.write({"message": f"{user.name}'s server restarted", "url": user.url})


class LogsAPIHandler(LabFleetAPIHandler):
    """GET: the last ?tail=N lines the server printed."""

    @needs_scope(LOGS, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        user = self.target_user(user_name)
        tail = self.get_argument("tail", "200")
        if not tail.isdigit() or not 1 <= int(tail) <= MAX_TAIL:
            raise web.HTTPError(400, f"tail must be a whole number from 1 to {MAX_TAIL}")
        self.write({"lines": await self.backend.logs(user.spawner, int(tail))})


default_handlers = [
    (r"/api/labfleet/users/([^/]+)/restart", RestartAPIHandler),
    (r"/api/labfleet/users/([^/]+)/logs", LogsAPIHandler),
]

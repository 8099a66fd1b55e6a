"""Routes on a user's running server: restart in place, logs."""

from __future__ import annotations

from jupyterhub.apihandlers.users import UserServerAPIHandler
from tornado import web

from ..arguments import whole_number
from ..audit.hub_requests import checks_then_defers
from ..authz import needs_scope
from ..backends.base import Usage
from ..scopes import ADMIN_SERVERS, DELETE_SERVERS, LOGS, RESTART, START_SERVERS, USAGE
from ..server_output import in_words
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
            # nothing answers at the server's address while it restarts, so that another
            # account's process taking that address meanwhile never gets the user's requests
            await self.proxy.delete_user(user)
            try:
                await self.backend.restart(spawner)
            except Exception:
                await self.stop_single_user(user)  # no half-restarted server is left
                raise
            # a new process may have a new id and address: keep them for a hub restart
            spawner.orm_spawner.state = spawner.get_state()
            self.db.commit()
            await self.proxy.add_user(user)
        self.write({"message": f"{user.name}'s server restarted", "url": user.url})


class LogsAPIHandler(LabFleetAPIHandler):
    """GET: the last ?tail=N lines the server printed, as printed for an admin ("raw");
    for its user, its progress and their own errors in words (server_output.in_words)."""

    @needs_scope(LOGS, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        user = self.target_user(user_name)
        try:
            tail = whole_number("tail", self.get_argument("tail", "200"), 1, MAX_TAIL)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        lines = await self.backend.logs(user.spawner, tail)
        raw = self.manages(user)
        self.write({"lines": lines if raw else in_words(lines, user.name), "raw": raw})


class UsageAPIHandler(LabFleetAPIHandler):
    """GET: what the running server uses now (memory, processes) and its limits; the
    user's disk, if they have one, running or not."""

    @needs_scope(USAGE, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        user = self.target_user(user_name)
        spawner = user.spawner
        disk = (await self.backend.disk_usage([user.name])).get(user.name)
        disk_json = {"disk": disk.to_json() if disk else None}
        if not spawner.ready:
            self.write({"running": False, **Usage(None, None, None, None).to_json(), **disk_json})
            return
        usage = await self.backend.usage(spawner)
        self.write({"running": True, **usage.to_json(), **disk_json})


class HubServerAPIHandler(UserServerAPIHandler, LabFleetAPIHandler):
    """JupyterHub's own start and stop of a server, one at a time: refused (409) while
    labfleet operates on it (a restart in place, a volume reset), while another start or stop
    of it is being answered, and for a stop while it starts or a start while it stops."""

    # (user, server) whose start or stop is being answered now (the hub is one process)
    answering: set[tuple[str, str]] = set()

    @checks_then_defers
    @needs_scope(START_SERVERS)
    async def post(self, user_name: str, server_name: str = "") -> None:
        await self.one_at_a_time(super().post, user_name, server_name)

    @checks_then_defers
    @needs_scope(DELETE_SERVERS)
    async def delete(self, user_name: str, server_name: str = "") -> None:
        await self.one_at_a_time(super().delete, user_name, server_name)

    async def one_at_a_time(self, answer, user_name: str, server_name: str) -> None:
        """``answer`` (JupyterHub's start or stop) unless another is under way: then 409."""
        user = self.find_user(user_name)
        spawner = user.spawners.get(server_name) if user else None
        pending = spawner.pending if spawner is not None else None
        starting = self.request.method == "POST"
        key = (user_name, server_name)
        if key in self.answering or (pending and pending != ("spawn" if starting else "stop")):
            doing = {"spawn": "starting", "stop": "stopping"}.get(pending, "starting or stopping")
            raise web.HTTPError(409, f"{user_name}'s server is {doing}: wait, then try again")
        self.answering.add(key)
        try:
            await answer(user_name, server_name)
        except web.HTTPError as e:
            if e.status_code == 400 and spawner is not None and spawner.active:
                raise web.HTTPError(409, e.log_message) from None  # "already running"
            raise
        finally:
            self.answering.discard(key)

    async def prepare(self) -> None:
        await super().prepare()
        user_name = self.path_args[0] if self.path_args else None
        busy = user_name and self.labfleet.operations.busy(user_name)
        if busy and self.current_user and self.request.method in ("POST", "DELETE"):
            raise web.HTTPError(
                409, f"{user_name}'s server is being restarted or reset: try again shortly"
            )


default_handlers = [
    (r"/api/labfleet/users/([^/]+)/restart", RestartAPIHandler),
    (r"/api/labfleet/users/([^/]+)/logs", LogsAPIHandler),
    (r"/api/labfleet/users/([^/]+)/usage", UsageAPIHandler),
]

# served ahead of JupyterHub's own routes
hub_overrides = [
    (r"/api/users/([^/]+)/server", HubServerAPIHandler),
    (r"/api/users/([^/]+)/servers/([^/]*)", HubServerAPIHandler),
]

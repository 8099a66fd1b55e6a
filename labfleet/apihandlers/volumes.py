"""Routes on a user's volumes: list with sizes, reset a chosen subset."""

from __future__ import annotations

from tornado import web

from ..authz import needs_scope
from ..scopes import ADMIN_SERVERS, VOLUMES
from .base import LabFleetAPIHandler


class VolumesAPIHandler(LabFleetAPIHandler):
    """GET: the volumes and their sizes (where they are on the host, for admins), and the
    user's disk if they have one. DELETE {"volumes": [...]}: reset those, server stopped."""

    @needs_scope(VOLUMES, ADMIN_SERVERS)
    async def get(self, user_name: str) -> None:
        user = self.target_user(user_name)
        listed = await self.backend.list_volumes(user.name)
        disk = (await self.backend.disk_usage([user.name])).get(user.name)
        admin = self.manages(user)
        volumes = []
        for state in listed:
            volume = {**state.to_json(), "resettable": admin or state.spec.users_reset}
            if not admin:  # where volumes live on the host is the admin's business
                del volume["resource"]
            volumes.append(volume)
        self.write(
            {
                "backend": self.backend.name,
                "server_running": user.spawner.active,
                "volumes": volumes,
                "disk": disk.to_json() if disk else None,
            }
        )

    @needs_scope(VOLUMES, ADMIN_SERVERS)
    async def delete(self, user_name: str) -> None:
        user = self.target_user(user_name)
        names = self.json_object().get("volumes")
        known = [v.name for v in self.backend.volumes]
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)
        ):
            raise web.HTTPError(
                400, f'Give the volumes to reset as {{"volumes": [...]}}, chosen from {known}'
            )
        unknown = [n for n in names if n not in known]
        if unknown:
            raise web.HTTPError(400, f"Unknown volumes {unknown}; {user.name} has {known}")
        kept = [v.label for v in self.backend.volumes if v.name in names and not v.users_reset]
        if kept and not self.manages(user):
            raise web.HTTPError(
                403, f"Only an admin can reset {' and '.join(kept)} (every file in it is lost): "
                "ask one; your other volumes you may reset yourself",
            )  # fmt: skip
        if user.spawner.active:
            raise web.HTTPError(
                409, f"{user.name}'s server is running: stop it before resetting volumes"
            )
        async with self.operation("volumes.reset", user, volumes=names):
            await self.backend.reset_volumes(user.name, names)
        self.write(
            {
                "reset": names,
                "message": f"Reset {', '.join(names)} of {user.name}; "
                "they are recreated empty at the next start",
            }
        )


default_handlers = [(r"/api/labfleet/users/([^/]+)/volumes", VolumesAPIHandler)]

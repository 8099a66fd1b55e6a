"""Routes on a group's labfleet properties (a JupyterHub group): read them, replace them."""

from __future__ import annotations

from typing import Any

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from tornado import web

from .. import audit
from ..authz import authorize
from ..context import LabFleetContext
from ..groups import (
    PROPERTIES,
    PropertiesError,
    check_properties,
    labfleet_properties,
    not_applied,
    unapplied,
)
from ..scopes import GROUPS_SCOPE
from .base import LabFleetAPIHandler

APPLIES = "Changes apply at the next start of each member's server; running servers keep theirs."


def group_view(handler: BaseHandler, group: orm.Group) -> dict[str, Any]:
    """A group as the API and the admin page show it."""
    context: LabFleetContext = handler.settings["labfleet"]
    config, backend = context.groups, context.backend
    properties = labfleet_properties(group.properties or {})
    problems: list[str] = []
    try:
        checked = check_properties(group.name, properties, config.rules(backend))
        granted = config.resolve({group.name: checked}).granted()
    except PropertiesError as e:
        problems, granted = e.problems, set()
    members = sorted(group.users, key=lambda u: u.name)
    return {
        "name": group.name,
        "users": [u.name for u in members],
        "running": [u.name for u in members if handler.users[u].active],
        "properties": properties,
        "problems": problems,
        "configured": group.name in config.properties,
        "docker_socket": group.name == config.docker_socket_group,
        "privileged": group.name == config.privileged_group,
        "backend": backend.name,
        "not_applied": unapplied(granted, not_applied(backend, context.gpu)),
        "applies": APPLIES,
    }


class GroupAPIHandler(LabFleetAPIHandler):
    """GET: a group's labfleet properties. PUT {properties}: replace them (other keys kept)."""

    scope = GROUPS_SCOPE

    def target_group(self, name: str) -> orm.Group:
        authorize(self, [self.scope])
        group = orm.Group.find(self.db, name)
        if group is None:
            raise web.HTTPError(
                404,
                f"No such group: {name}. Create it on JupyterHub's admin page "
                f"or with POST /hub/api/groups/{name}",
            )
        return group

    async def get(self, name: str) -> None:
        self.write(group_view(self, self.target_group(name)))

    async def put(self, name: str) -> None:
        group = self.target_group(name)
        if name in self.labfleet.groups.properties:
            raise web.HTTPError(
                409,
                f"Group {name} is set in labfleet.yaml (groups.properties), which is applied "
                "at every start: edit it there",
            )
        config = self.labfleet.groups
        try:
            checked = check_properties(name, self.json_object(), config.rules(self.backend))
        except PropertiesError as e:
            raise web.HTTPError(400, f"Nothing was changed: {e}") from None
        # keys of other tools are kept; labfleet's are replaced as a whole
        others = {k: v for k, v in (group.properties or {}).items() if k not in PROPERTIES}
        group.properties = {**others, **checked}
        self.db.commit()
        audit.record(
            self.db, actor=self.current_user.name, action="group.update", target=name,
            properties=sorted(checked),
        )  # fmt: skip
        self.write({**group_view(self, group), "message": f"Saved group {name}. {APPLIES}"})


default_handlers = [(r"/api/labfleet/groups/([^/]+)", GroupAPIHandler)]

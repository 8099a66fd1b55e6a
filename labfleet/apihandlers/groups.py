"""Routes on a group's labfleet properties (a JupyterHub group): read them, replace them."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from .. import audit
from ..authz import needs_scope
from ..groups import PROPERTIES, PropertiesError, check_properties
from ..groups.views import GROUP_APPLIES
from ..scopes import ADMIN_GROUPS
from .base import LabFleetAPIHandler


class GroupAPIHandler(LabFleetAPIHandler):
    """GET: a group's labfleet properties. PUT {properties}: replace them (other keys kept)."""

    def target_group(self, name: str) -> orm.Group:
        group = orm.Group.find(self.db, name)
        if group is None:
            raise web.HTTPError(
                404,
                f"No such group: {name}. Create it on JupyterHub's admin page "
                f"or with POST /hub/api/groups/{name}",
            )
        return group

    def view(self, group: orm.Group) -> dict:
        return self.labfleet.group_view(group, lambda user: self.users[user].active)

    @needs_scope(ADMIN_GROUPS)
    async def get(self, name: str) -> None:
        self.write(self.view(self.target_group(name)))

    @needs_scope(ADMIN_GROUPS)
    async def put(self, name: str) -> None:
        group = self.target_group(name)
        if name in self.labfleet.groups.properties:
            raise web.HTTPError(
                409,
                f"Group {name} is set in labfleet.yaml (groups.properties), which is applied "
                "at every start: edit it there",
            )
        try:
            checked = check_properties(name, self.json_object(), self.labfleet.group_rules)
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
        self.write({**self.view(group), "message": f"Saved group {name}. {GROUP_APPLIES}"})


default_handlers = [(r"/api/labfleet/groups/([^/]+)", GroupAPIHandler)]

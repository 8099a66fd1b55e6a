"""Routes on a group's labfleet properties (a JupyterHub group): read them, replace them.

labfleet also takes over JupyterHub's own routes that make and delete groups (its admin
page and the People page use them): a new group's name follows labfleet's one rule
(:mod:`labfleet.groups.names`), a group of labfleet.yaml is not deleted, and both are
recorded in the audit log.
"""

from __future__ import annotations

from jupyterhub import orm
from jupyterhub.apihandlers.groups import GroupAPIHandler as HubGroupBase
from jupyterhub.apihandlers.groups import GroupListAPIHandler
from tornado import web

from .. import audit
from ..auth.authenticator import sentence
from ..authz import needs_scope
from ..groups import PROPERTIES, PropertiesError, check_properties, deletion, names
from ..groups.views import GROUP_APPLIES
from ..scopes import ADMIN_GROUPS, DELETE_GROUPS
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


def refuse_new_name(db, name: object) -> None:
    """400 when ``name`` would be a new group whose name breaks the rule."""
    if isinstance(name, str) and orm.Group.find(db, name) is None:
        problem = names.problem(name)
        if problem:
            raise web.HTTPError(400, sentence(problem))


class HubGroupAPIHandler(HubGroupBase, LabFleetAPIHandler):
    """JupyterHub's /api/groups/{name}: POST makes a group whose name follows the rule;
    DELETE deletes one that labfleet.yaml does not set."""

    @needs_scope(ADMIN_GROUPS)
    async def post(self, group_name: str) -> None:
        refuse_new_name(self.db, group_name)
        await super().post(group_name)
        audit.record(self.db, actor=self.current_user.name, action="group.create",
                     target=group_name)  # fmt: skip

    @needs_scope(DELETE_GROUPS)
    async def delete(self, group_name: str) -> None:
        group = self.find_group(group_name)
        deletion.delete(self.db, group, self.labfleet.groups, actor=self.current_user.name)
        self.set_status(204)


class HubGroupListAPIHandler(GroupListAPIHandler, LabFleetAPIHandler):
    """JupyterHub's /api/groups: POST {"groups": [...]} makes groups whose names follow the
    rule (none if one does not)."""

    @needs_scope(ADMIN_GROUPS)
    async def post(self) -> None:
        body = self.get_json_body()
        given = body.get("groups") if isinstance(body, dict) else None
        for name in given if isinstance(given, list) else []:
            refuse_new_name(self.db, name)
        await super().post()
        for name in given:
            audit.record(self.db, actor=self.current_user.name, action="group.create",
                         target=name)  # fmt: skip


default_handlers = [(r"/api/labfleet/groups/([^/]+)", GroupAPIHandler)]

# served ahead of JupyterHub's own routes
hub_overrides = [
    (r"/api/groups", HubGroupListAPIHandler),
    (r"/api/groups/([^/]+)", HubGroupAPIHandler),
]

"""The groups admin page: what each group grants, editable unless set in labfleet.yaml."""

from __future__ import annotations

from jupyterhub import orm
from tornado import web

from .. import environment
from ..authz import needs_scope
from ..groups.views import GROUP_APPLIES
from ..scopes import ADMIN_GROUPS
from .base import LabFleetPageHandler


class GroupsPageHandler(LabFleetPageHandler):
    """GET: every group with its labfleet properties, members and what the backend skips."""

    @web.authenticated
    @needs_scope(ADMIN_GROUPS)
    async def get(self) -> None:
        context = self.labfleet
        groups = self.db.query(orm.Group).order_by(orm.Group.name)
        rules = context.group_rules
        await self.render_page(
            "labfleet/groups.html",
            groups=[context.group_view(g, lambda user: self.users[user].active) for g in groups],
            backend=context.backend.name,
            not_applied=context.not_applied,
            read_only_mounts=context.backend.read_only_mounts,
            protected=rules.protected,
            docker_socket_group=context.groups.docker_socket_group,
            privileged_group=context.groups.privileged_group,
            reserved=environment.reserved_description(),
            applies=GROUP_APPLIES,
        )


default_handlers = [(r"/labfleet/groups", GroupsPageHandler)]

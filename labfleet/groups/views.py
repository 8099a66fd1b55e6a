"""What the API and the pages show of groups and of a user's own environment variables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jupyterhub import orm

from .. import environment
from .config import Groups, group_grants
from .grants import unapplied
from .properties import PropertiesError, Rules, check_group, labfleet_properties

GROUP_APPLIES = (
    "Changes apply at the next start of each member's server; running servers keep theirs."
)
ENVIRONMENT_APPLIES = "They apply at the next start of the server."


def group_view(
    group: orm.Group,
    config: Groups,
    rules: Rules,
    not_applied: Mapping[str, str],
    running: Callable[[orm.User], bool],
) -> dict[str, Any]:
    """A group as the API and the admin page show it; ``running(user)``: is their server up."""
    problems: list[str] = []
    try:
        granted = config.resolve({group.name: check_group(group, rules)}).granted()
    except PropertiesError as e:
        problems, granted = e.problems, set()
    members = sorted(group.users, key=lambda u: u.name)
    return {
        "name": group.name,
        "users": [u.name for u in members],
        "running": [u.name for u in members if running(u)],
        "properties": labfleet_properties(group.properties or {}),
        "problems": problems,
        "configured": group.name in config.properties,
        "docker_socket": group.name == config.docker_socket_group,
        "privileged": group.name == config.privileged_group,
        "backend": rules.backend,
        "not_applied": unapplied(granted, not_applied),
        "applies": GROUP_APPLIES,
    }


def environment_view(
    config: Groups, rules: Rules, groups: Iterable[orm.Group], own: Mapping[str, str]
) -> dict[str, Any]:
    """A user's own variables (``own``), whether their ``groups`` allow any, and what they set."""
    try:
        grants = group_grants(config, rules, groups)
        allowed, from_groups, problem = grants.user_environment, grants.environment, None
    except PropertiesError as e:
        allowed, from_groups, problem = False, {}, f"{e}. An admin must correct the group."
    return {
        "allowed": allowed,
        "environment": dict(own),
        "groups_environment": from_groups,
        "reserved": environment.reserved_description(),
        "problem": problem,
        "applies": ENVIRONMENT_APPLIES,
    }

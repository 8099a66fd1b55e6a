"""The ``groups`` section of labfleet.yaml, and what it gives JupyterHub's groups at start."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from jupyterhub import orm
from traitlets import Bunch, Dict, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from ..db.models import UserEnvironment
from ..db.user_rows import UserColumn
from . import names
from .grants import Grants, resolve, unapplied, with_user_environment
from .properties import (
    PROTECTED_PATHS,
    BackendFacts,
    PropertiesError,
    Rules,
    check_group,
    check_properties,
)


class Groups(Configurable):
    """Groups that grant things (the ``groups`` section of labfleet.yaml)."""

    # the variables a user keeps for their servers (applied if a group allows)
    user_rows: ClassVar = (UserColumn(UserEnvironment, "user_id", keyed="id"),)

    properties = Dict(
        help="""labfleet properties of groups: group name -> properties, set at every start.

        Properties: priority (whole number, higher wins), environment (NAME: value),
        cpu_limit (CPUs), mem_limit (512M, 2G), disk_limit (5G: what the user's volumes
        may hold, local backend), gpu (true/false), mounts (list of
        {host: /abs/path, path: folder/in/home, mode: ro|rw}), images (image names),
        user_environment (true: members may keep their own variables). Groups set here
        are created if missing and cannot be edited on the admin page; membership is
        kept by JupyterHub (hub.load_groups, the admin page or its API).
        """,
    ).tag(config=True)

    docker_socket_group = Unicode(
        "docker-sock",
        help="Members of this group get the Docker socket mounted (docker backend).",
    ).tag(config=True)

    privileged_group = Unicode(
        "docker-privileged",
        help="Members of this group run privileged containers (docker backend).",
    ).tag(config=True)

    protected_paths = List(
        Unicode(),
        help=f"""Host paths no group may mount, beside {", ".join(PROTECTED_PATHS)}, the Docker
        socket (except for docker_socket_group) and labfleet's data directory. Mounting a
        folder that contains one of them is refused too.
        """,
    ).tag(config=True)

    @validate("properties")
    def _check_properties(self, proposal: Bunch) -> dict:
        # labfleet.yaml's check of what needs no backend (sizes, CPUs, names, system
        # folders); the backend's own folders and volumes are checked at the hub's start
        rules = self.rules(BackendFacts("", (), (), read_only_mounts=True, unapplied={}))
        problems = []
        for name, properties in proposal.value.items():
            try:
                check_properties(name, properties, rules)
            except PropertiesError as e:
                problems.append(str(e))
            except TypeError:
                problems.append(f"group {name}: give a mapping of properties")
        problems += [p for name in proposal.value if (p := names.problem(name))]
        if problems:
            raise TraitError("; ".join(problems))
        return proposal.value

    def resolve(self, groups: Mapping[str, Mapping[str, Any]]) -> Grants:
        return resolve(
            groups,
            docker_socket_group=self.docker_socket_group,
            privileged_group=self.privileged_group,
        )

    def rules(self, backend: BackendFacts) -> Rules:
        """What this hub's groups may hold, on ``backend``."""
        protected = {*PROTECTED_PATHS, *map(os.path.normpath, self.protected_paths)}
        protected.update(backend.protected_paths)
        return Rules(
            protected=tuple(sorted(protected)),
            volume_mounts=backend.volume_mounts,
            read_only_mounts=backend.read_only_mounts,
            backend=backend.name,
            docker_socket_group=self.docker_socket_group,
        )


def with_configured_groups(
    config: Groups, rules: Rules, load_groups: Mapping[str, Any]
) -> dict[str, Any]:
    """JupyterHub's ``load_groups`` with the checked properties of the ``groups`` section.

    ValueError names every problem; a group may not get properties from both places, and
    every group name follows the rule of new group names (:mod:`.names`).
    """
    merged = dict(load_groups)
    problems = []
    for name, properties in config.properties.items():
        entry = merged.get(name, {})
        entry = {"users": entry} if isinstance(entry, list) else entry
        if "properties" in entry:
            problems.append(
                f"group {name}: properties set both here and in hub.load_groups; keep one"
            )
            continue
        if not isinstance(properties, Mapping):
            problems.append(f"group {name}: give a mapping of properties")
            continue
        try:
            merged[name] = {**entry, "properties": check_properties(name, properties, rules)}
        except PropertiesError as e:
            problems.append(str(e))
    problems += [p for name in {**merged, **config.properties} if (p := names.problem(name))]
    if problems:
        raise ValueError("; ".join(problems))
    return merged


def group_warnings(
    config: Groups, rules: Rules, backend_unapplied: Mapping[str, str], groups: Iterable[orm.Group]
) -> list[str]:
    """What the operator should hear at start-up about the groups on this backend."""
    warnings = []
    if backend_unapplied:
        warnings.append(
            f"The {rules.backend} backend does not apply these group properties: "
            + "; ".join(f"{name}: {why}" for name, why in backend_unapplied.items())
        )
    for group in groups:
        try:
            checked = check_group(group, rules)
        except PropertiesError as e:
            warnings.append(f"{e}. Its members' servers cannot start until it is corrected")
            continue
        skipped = unapplied(config.resolve({group.name: checked}).granted(), backend_unapplied)
        if skipped:
            warnings.append(
                f"Group {group.name} sets {', '.join(skipped)}: "
                f"not applied on the {rules.backend} backend"
            )
    return warnings


def group_grants(config: Groups, rules: Rules, groups: Iterable[orm.Group]) -> Grants:
    """What membership of ``groups`` gives now; PropertiesError names a broken group."""
    return config.resolve({group.name: check_group(group, rules) for group in groups})


def start_grants(
    config: Groups,
    rules: Rules,
    groups: Iterable[orm.Group],
    own_environment: Mapping[str, str],
    exists: Callable[[str], bool] = os.path.exists,
) -> Grants:
    """What ``groups`` and the user's own variables give a server starting now.

    A mount whose host folder is missing is skipped with a notice.
    """
    grants = group_grants(config, rules, groups)
    missing = [m for m in grants.mounts if not exists(m.host)]
    if missing:
        grants = replace(
            grants,
            mounts=tuple(m for m in grants.mounts if m not in missing),
            notices=(
                *grants.notices,
                *(
                    f"mount {m.host} -> ~/{m.path} is skipped: {m.host} does not exist"
                    for m in missing
                ),
            ),
        )
    return with_user_environment(grants, own_environment)

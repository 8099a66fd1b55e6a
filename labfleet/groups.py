"""Groups that grant things: labfleet's properties on JupyterHub groups, and how they combine.

A group's labfleet properties are keys of JupyterHub's own group ``properties`` (other
keys are left to other tools). They come from the ``groups`` section of labfleet.yaml
(through JupyterHub's ``load_groups``, at every start) or from the admin page and API.

A user in several groups gets one :class:`Grants`, resolved by :func:`resolve`:
groups are applied in the order (priority, name), so a higher ``priority`` wins and,
at equal priority, the name that sorts last:

- ``environment``: merged by name; a name set by several groups takes the winner's value.
- ``cpu_limit``, ``mem_limit``: the winner among the groups that set it (not the
  largest: a high-priority group can lower a limit as well as raise it).
- ``mounts``: the union; of two mounts at the same place in the home (or one inside
  the other) the winner's is kept and the other dropped, with a notice.
- ``images``: the union. ``gpu``, ``user_environment``: granted if any group grants it.
- Docker access comes from membership of the groups named ``docker_socket_group``
  and ``privileged_group``, not from a property.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from jupyterhub import orm
from jupyterhub.traitlets import ByteSpecification
from sqlalchemy.orm import Session
from traitlets import Dict, List, TraitError, Unicode
from traitlets.config import Configurable

from . import environment
from .gpu import GpuStatus, gpu_devices

if TYPE_CHECKING:
    from jupyterhub.user import User

    from .backends.base import Backend
    from .context import LabFleetContext

PROPERTIES = (
    "priority", "environment", "cpu_limit", "mem_limit", "gpu", "mounts", "images",
    "user_environment",
)  # fmt: skip
MODES = ("ro", "rw")
# host paths refused with everything inside and above them (so / too)
PROTECTED_PATHS = ("/boot", "/dev", "/etc", "/proc", "/root", "/sys", "/var/lib/docker")
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
MOUNT_PATH = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
# a Docker image reference: [registry[:port]/]name[/name...][:tag][@digest]
IMAGE = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


class PropertiesError(ValueError):
    """A group's labfleet properties cannot be used; ``problems`` lists every reason."""

    def __init__(self, group: str, problems: list[str]):
        super().__init__(f"group {group}: {'; '.join(problems)}")
        self.group = group
        self.problems = problems


@dataclass(frozen=True)
class Rules:
    """What the hub and its backend allow in a group's properties."""

    protected: tuple[str, ...]  # host paths no mount may be, be inside, or contain
    volume_mounts: tuple[str, ...]  # folders of the home taken by the volumes
    read_only_mounts: bool  # False: the backend cannot enforce "ro", so it is refused
    backend: str
    docker_socket_group: str


@dataclass(frozen=True)
class Mount:
    """A host folder shown at ``path`` in the user's home."""

    host: str
    path: str  # relative to the home
    mode: str  # "ro" or "rw"

    def to_json(self) -> dict[str, str]:
        return {"host": self.host, "path": self.path, "mode": self.mode}


@dataclass(frozen=True)
class Grants:
    """What a user's groups give their server: the result of :func:`resolve`."""

    environment: dict[str, str] = field(default_factory=dict)
    cpu_limit: float | None = None
    mem_limit: int | None = None  # bytes
    gpu: bool = False
    mounts: tuple[Mount, ...] = ()
    images: tuple[str, ...] = ()
    user_environment: bool = False
    docker_socket: bool = False
    privileged: bool = False
    sources: dict[str, str] = field(default_factory=dict)  # what -> the group that set it
    notices: tuple[str, ...] = ()  # what the resolution dropped, and why

    def granted(self) -> set[str]:
        """Names of the properties that grant something (as in Backend.unapplied_properties)."""
        given = {
            "environment": bool(self.environment),
            "cpu_limit": self.cpu_limit is not None,
            "mem_limit": self.mem_limit is not None,
            "gpu": self.gpu,
            "mounts": bool(self.mounts),
            "images": bool(self.images),
            "docker_socket": self.docker_socket,
            "privileged": self.privileged,
        }
        return {name for name, yes in given.items() if yes}

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "cpu_limit": self.cpu_limit,
            "mem_limit": self.mem_limit,
            "gpu": self.gpu,
            "mounts": [m.to_json() for m in self.mounts],
            "images": list(self.images),
            "user_environment": self.user_environment,
            "docker_socket": self.docker_socket,
            "privileged": self.privileged,
            "sources": self.sources,
            "notices": list(self.notices),
        }


# -- checking one group's properties -----------------------------------------------------


def labfleet_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a JupyterHub group's properties that are labfleet's."""
    return {k: v for k, v in properties.items() if k in PROPERTIES}


def parse_bytes(value: object) -> int:
    """Bytes from ``2G``, ``512M``, ``1.5G`` or a number (JupyterHub's mem_limit syntax)."""
    if isinstance(value, bool):
        raise TraitError("not a size")
    return int(ByteSpecification().validate(None, value))


def inside(path: PurePosixPath, other: PurePosixPath) -> bool:
    """Whether ``path`` is ``other`` or below it."""
    return path == other or other in path.parents


def protected_problem(host: PurePosixPath, group: str, rules: Rules) -> str | None:
    """Why a host path may not be mounted by ``group`` (None if it may)."""
    for protected in map(PurePosixPath, rules.protected):
        if inside(host, protected):
            return f"{host} is protected ({protected})"
        if inside(protected, host):
            return f"{host} contains the protected {protected}"
    for socket in map(PurePosixPath, DOCKER_SOCKETS):
        if host == socket and group != rules.docker_socket_group:
            return (
                f"{host} is the Docker socket: only the group {rules.docker_socket_group} gets it"
            )
        if host != socket and inside(socket, host):
            return f"{host} contains the Docker socket {socket}"
    return None


def check_mounts(
    group: str, value: object, rules: Rules, realpath: Callable[[str], str]
) -> tuple[list[Mount], list[str]]:
    """The mounts of ``value`` and every problem found in them."""
    if not isinstance(value, list):
        return [], ["mounts must be a list of {host, path, mode}"]
    mounts, problems = [], []
    for item in value:
        if not isinstance(item, Mapping) or set(item) - {"host", "path", "mode"}:
            problems.append(f"mount {item!r}: give host, path and mode (ro or rw) only")
            continue
        host, path, mode = item.get("host"), item.get("path"), item.get("mode", "ro")
        where = f"mount {host} -> ~/{path}"
        if not isinstance(host, str) or not host.startswith("/") or ".." in host.split("/"):
            problems.append(f"{where}: host must be an absolute path without '..'")
            continue
        if not isinstance(path, str) or not MOUNT_PATH.fullmatch(path) or ".." in path.split("/"):
            problems.append(
                f"{where}: path must be a folder inside the home, e.g. datasets/images "
                "(letters, digits, . _ - and /; no '..')"
            )
            continue
        if mode not in MODES:
            problems.append(f"{where}: mode must be ro or rw, not {mode!r}")
            continue
        given = PurePosixPath(os.path.normpath(host))
        reason = protected_problem(given, group, rules) or protected_problem(
            PurePosixPath(realpath(str(given))), group, rules
        )
        if reason:
            problems.append(f"{where}: {reason}")
            continue
        target = PurePosixPath(path)
        taken = [v for v in map(PurePosixPath, rules.volume_mounts) if inside(v, target)]
        if taken:
            problems.append(f"{where}: ~/{taken[0]} is a volume of every user")
        elif mode == "ro" and not rules.read_only_mounts:
            problems.append(
                f"{where}: the {rules.backend} backend cannot make a mount read-only "
                "(it links the folder into the home; the account's file permissions decide): "
                "use mode rw, or the docker backend"
            )
        else:
            mounts.append(Mount(str(given), path, mode))
    paths = [PurePosixPath(m.path) for m in mounts]
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            if inside(a, b) or inside(b, a):
                problems.append(f"mounts at ~/{a} and ~/{b} overlap")
    return mounts, problems


def check_properties(
    group: str,
    properties: Mapping[str, Any],
    rules: Rules,
    realpath: Callable[[str], str] = os.path.realpath,
) -> dict[str, Any]:
    """``properties`` checked and normalised; PropertiesError names every problem.

    Only labfleet's keys are accepted (an unknown key is a typo until shown otherwise).
    """
    problems = []
    clean: dict[str, Any] = {}
    unknown = sorted(set(properties) - set(PROPERTIES))
    if unknown:
        problems.append(f"unknown properties {', '.join(unknown)}; known: {', '.join(PROPERTIES)}")
    for key in PROPERTIES:
        if key not in properties or properties[key] is None:
            continue
        value = properties[key]
        if key == "priority":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append("priority must be a whole number (higher wins)")
            else:
                clean[key] = value
        elif key == "environment":
            variables, found = environment.check(value)
            problems += [f"environment: {p}" for p in found]
            if variables:
                clean[key] = variables
        elif key == "cpu_limit":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                problems.append("cpu_limit must be a number of CPUs above 0, e.g. 2 or 0.5")
            else:
                clean[key] = float(value)
        elif key == "mem_limit":
            try:
                parse_bytes(value)
            except (TraitError, ValueError, TypeError):
                problems.append(f"mem_limit {value!r} is not a size such as 512M, 2G or 1.5G")
            else:
                clean[key] = value
        elif key in ("gpu", "user_environment"):
            if not isinstance(value, bool):
                problems.append(f"{key} must be true or false")
            else:
                clean[key] = value
        elif key == "mounts":
            mounts, found = check_mounts(group, value, rules, realpath)
            problems += found
            if mounts:
                clean[key] = [m.to_json() for m in mounts]
        elif key == "images":
            if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
                problems.append("images must be a list of image names")
                continue
            bad = [i for i in value if not IMAGE.fullmatch(i)]
            if bad:
                problems.append(
                    f"not image names: {', '.join(map(repr, bad))} "
                    "(e.g. quay.io/jupyter/scipy-notebook:2024-10-07)"
                )
            elif value:
                clean[key] = sorted(set(value))
    if problems:
        raise PropertiesError(group, problems)
    return clean


# -- combining the groups of one user ---------------------------------------------------


def resolve(
    groups: Mapping[str, Mapping[str, Any]], *, docker_socket_group: str, privileged_group: str
) -> Grants:
    """The grants of a user in ``groups`` (name -> checked properties); see the module doc."""
    order = sorted(groups, key=lambda name: (groups[name].get("priority", 0), name))
    env: dict[str, str] = {}
    limits: dict[str, Any] = {}
    mounts: dict[str, tuple[Mount, str]] = {}
    sources: dict[str, str] = {}
    notices: list[str] = []
    images: set[str] = set()
    for name in order:  # lowest first: later groups win
        properties = groups[name]
        for key, value in properties.get("environment", {}).items():
            env[key] = value
            sources[f"environment.{key}"] = name
        for key in ("cpu_limit", "mem_limit"):
            if key in properties:
                limits[key] = properties[key]
                sources[key] = name
        for item in properties.get("mounts", []):
            mount = Mount(**item)
            for path, (other, owner) in list(mounts.items()):
                if inside(PurePosixPath(path), PurePosixPath(mount.path)) or inside(
                    PurePosixPath(mount.path), PurePosixPath(path)
                ):
                    del mounts[path]
                    sources.pop(f"mounts.{path}")
                    notices.append(
                        f"mount {other.host} -> ~/{path} of group {owner} is replaced by "
                        f"{mount.host} -> ~/{mount.path} of group {name} (higher priority)"
                    )
            mounts[mount.path] = (mount, name)
            sources[f"mounts.{mount.path}"] = name
        images.update(properties.get("images", []))
    mem = limits.get("mem_limit")
    return Grants(
        environment=env,
        cpu_limit=limits.get("cpu_limit"),
        mem_limit=None if mem is None else parse_bytes(mem),
        gpu=any(p.get("gpu") for p in groups.values()),
        mounts=tuple(m for m, _ in sorted(mounts.values(), key=lambda x: x[0].path)),
        images=tuple(sorted(images)),
        user_environment=any(p.get("user_environment") for p in groups.values()),
        docker_socket=docker_socket_group in groups,
        privileged=privileged_group in groups,
        sources=sources,
        notices=tuple(notices),
    )


def with_user_environment(grants: Grants, own: Mapping[str, str]) -> Grants:
    """``grants`` plus the user's own variables, when a group allows them (theirs win)."""
    if not grants.user_environment or not own:
        return grants
    sources = {**grants.sources, **{f"environment.{k}": "user" for k in own}}
    return replace(grants, environment={**grants.environment, **own}, sources=sources)


def unapplied(granted: Iterable[str], unapplied_properties: Mapping[str, str]) -> dict[str, str]:
    """Of the ``granted`` properties, those the backend does not apply, with why."""
    return {p: unapplied_properties[p] for p in sorted(granted) if p in unapplied_properties}


def not_applied(backend: Backend, gpu: GpuStatus) -> dict[str, str]:
    """Group properties this hub does not apply, with why: the backend's, GPUs when off."""
    off = {} if gpu_devices(gpu) else {"gpu": f"GPU groups get no GPU on this hub: {gpu.detail}"}
    return {**off, **backend.unapplied_properties()}


def start_notices(grants: Grants, unapplied_properties: Mapping[str, str]) -> list[str]:
    """What a user should hear at the start of their server about what they were granted."""
    notices = list(grants.notices)
    for name, why in unapplied(grants.granted(), unapplied_properties).items():
        group = grants.sources.get(name)
        notices.append(f"{name}{f' (group {group})' if group else ''} is not applied: {why}")
    return notices


# -- the groups section of labfleet.yaml ------------------------------------------------


class Groups(Configurable):
    """Groups that grant things (the ``groups`` section of labfleet.yaml)."""

    properties = Dict(
        help="""labfleet properties of groups: group name -> properties, set at every start.

        Properties: priority (whole number, higher wins), environment (NAME: value),
        cpu_limit (CPUs), mem_limit (512M, 2G), gpu (true/false), mounts (list of
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

    def resolve(self, groups: Mapping[str, Mapping[str, Any]]) -> Grants:
        return resolve(
            groups,
            docker_socket_group=self.docker_socket_group,
            privileged_group=self.privileged_group,
        )

    def rules(self, backend: Backend) -> Rules:
        """What this hub's groups may hold, on ``backend``."""
        protected = {*PROTECTED_PATHS, *map(os.path.normpath, self.protected_paths)}
        protected.update(str(p) for p in backend.protected_paths())
        return Rules(
            protected=tuple(sorted(protected)),
            volume_mounts=tuple(v.mount for v in backend.volumes if v.mount),
            read_only_mounts=backend.read_only_mounts,
            backend=backend.name,
            docker_socket_group=self.docker_socket_group,
        )


def group_grants(context: LabFleetContext, user: User) -> Grants:
    """What ``user``'s groups give them now.

    Properties set through JupyterHub's own API are checked here too: a broken group
    raises PropertiesError rather than being skipped.
    """
    rules = context.groups.rules(context.backend)
    checked = {
        group.name: check_properties(group.name, labfleet_properties(group.properties or {}), rules)
        for group in user.groups
    }
    return context.groups.resolve(checked)


def start_grants(context: LabFleetContext, user: User) -> Grants:
    """What ``user``'s groups and own variables give a server starting now.

    A mount whose host folder is missing is skipped with a notice.
    """
    grants = group_grants(context, user)
    missing = [m for m in grants.mounts if not os.path.exists(m.host)]
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
    return with_user_environment(grants, environment.load(context.db, user.id))


def with_configured_groups(
    config: Groups, backend: Backend, load_groups: Mapping[str, Any]
) -> dict[str, Any]:
    """JupyterHub's ``load_groups`` with the checked properties of the ``groups`` section.

    ValueError names every problem; a group may not get properties from both places.
    """
    rules = config.rules(backend)
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
    if problems:
        raise ValueError("; ".join(problems))
    return merged


def group_warnings(config: Groups, backend: Backend, db: Session) -> list[str]:
    """What the operator should hear at start-up about the groups on this backend."""
    not_applied = backend.unapplied_properties()
    warnings = []
    if not_applied:
        warnings.append(
            f"The {backend.name} backend does not apply these group properties: "
            + "; ".join(f"{name}: {why}" for name, why in not_applied.items())
        )
    rules = config.rules(backend)
    for group in db.query(orm.Group).order_by(orm.Group.name):
        try:
            checked = check_properties(
                group.name, labfleet_properties(group.properties or {}), rules
            )
        except PropertiesError as e:
            warnings.append(f"{e}. Its members' servers cannot start until it is corrected")
            continue
        skipped = unapplied(config.resolve({group.name: checked}).granted(), not_applied)
        if skipped:
            warnings.append(
                f"Group {group.name} sets {', '.join(skipped)}: "
                f"not applied on the {backend.name} backend"
            )
    return warnings

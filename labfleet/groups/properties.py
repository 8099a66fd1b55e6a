"""Checking one group's labfleet properties against what the hub and its backend allow."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from jupyterhub import orm
from jupyterhub.traitlets import ByteSpecification
from traitlets import TraitError, TraitType

from .. import environment
from ..traitlets import Cpus, Size, memory_limit

PROPERTIES = (
    "priority", "environment", "cpu_limit", "mem_limit", "disk_limit", "gpu", "mounts",
    "images", "user_environment",
)  # fmt: skip
MIN_DISK_LIMIT = 32 * 2**20  # bytes: the smallest disk labfleet makes (a file system's own needs)
# the limits a group may set, each checked by the trait of the setting that applies it (so
# labfleet.yaml's spawner and environments refuse the same values, with the same words)
LIMITS: dict[str, TraitType] = {
    "cpu_limit": Cpus(),
    "mem_limit": memory_limit(),
    "disk_limit": Size(minimum=MIN_DISK_LIMIT),
}
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
class BackendFacts:
    """What the groups need to know of the backend that runs the servers."""

    name: str
    protected_paths: tuple[str, ...]  # host folders no group may mount: labfleet's own
    volume_mounts: tuple[str, ...]  # folders of the home that the volumes take
    read_only_mounts: bool  # False: a read-only mount cannot be enforced, so it is refused
    unapplied: Mapping[str, str]  # the properties it does not apply, each with why


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
                f"{where}: the {rules.backend} backend cannot make a mount read-only here "
                "(it needs isolated users and local.private_tmp: the server's own mount "
                "namespace): use mode rw, or turn those on"
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
        elif key in LIMITS:
            try:
                checked = LIMITS[key].validate(None, value)
            except TraitError as e:
                problems.append(f"{key} {e}")
            else:  # sizes as written (2G), CPUs as a number
                clean[key] = checked if key == "cpu_limit" else value
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


def check_group(group: orm.Group, rules: Rules) -> dict[str, Any]:
    """The checked labfleet properties of a JupyterHub group; PropertiesError if broken.

    Properties set through JupyterHub's own API are checked too: a broken group raises
    rather than being skipped.
    """
    return check_properties(group.name, labfleet_properties(group.properties or {}), rules)

"""Combining the groups of one user into the :class:`Grants` a server starts with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ..gpu import GpuStatus, gpu_devices
from .properties import Mount, inside, parse_bytes


@dataclass(frozen=True)
class Grants:
    """What a user's groups give their server: the result of :func:`resolve`."""

    environment: dict[str, str] = field(default_factory=dict)
    cpu_limit: float | None = None
    mem_limit: int | None = None  # bytes
    disk_limit: int | None = None  # bytes
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
            "disk_limit": self.disk_limit is not None,
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
            "disk_limit": self.disk_limit,
            "gpu": self.gpu,
            "mounts": [m.to_json() for m in self.mounts],
            "images": list(self.images),
            "user_environment": self.user_environment,
            "docker_socket": self.docker_socket,
            "privileged": self.privileged,
            "sources": self.sources,
            "notices": list(self.notices),
        }


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
        for key in ("cpu_limit", "mem_limit", "disk_limit"):
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
    mem, disk = limits.get("mem_limit"), limits.get("disk_limit")
    return Grants(
        environment=env,
        cpu_limit=limits.get("cpu_limit"),
        mem_limit=None if mem is None else parse_bytes(mem),
        disk_limit=None if disk is None else parse_bytes(disk),
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


def not_applied(backend_unapplied: Mapping[str, str], gpu: GpuStatus) -> dict[str, str]:
    """Group properties this hub does not apply, with why: the backend's, GPUs when off."""
    off = {} if gpu_devices(gpu) else {"gpu": f"GPU groups get no GPU on this hub: {gpu.detail}"}
    return {**off, **backend_unapplied}


def start_notices(grants: Grants, unapplied_properties: Mapping[str, str]) -> list[str]:
    """What a user should hear at the start of their server about what they were granted."""
    notices = list(grants.notices)
    for name, why in unapplied(grants.granted(), unapplied_properties).items():
        group = grants.sources.get(name)
        notices.append(f"{name}{f' (group {group})' if group else ''} is not applied: {why}")
    return notices

"""What a user's groups grant (labfleet.groups), as the docker backend hands it to Docker."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from docker.types import Mount

from ..gpu import docker_device_requests
from ..groups import Grants

SOCKET_IN_CONTAINER = "/var/run/docker.sock"
GRANTS_LABEL = "labfleet.grants"


def engine_socket(engine_url: str) -> str | None:
    """The engine's Unix socket on the host; None when the engine is reached over TCP."""
    url = urlparse(engine_url)
    return url.path if url.scheme == "unix" and url.path else None


def mounts(grants: Grants, home: str, socket: str | None) -> list[Mount]:
    """Bind mounts: the groups' folders below ``home``, and the engine's socket if granted."""
    binds = [
        Mount(
            target=str(PurePosixPath(home, m.path)),
            source=m.host,
            type="bind",
            read_only=m.mode == "ro",
        )
        for m in grants.mounts
    ]
    if grants.docker_socket and socket:
        binds.append(Mount(target=SOCKET_IN_CONTAINER, source=socket, type="bind"))
    return binds


def host_config(grants: Grants, devices: Sequence[str], socket_gid: int | None) -> dict[str, Any]:
    """Host config for privileged containers, the socket's group and the GPUs granted."""
    config: dict[str, Any] = {}
    if grants.privileged:
        config["privileged"] = True
    if grants.docker_socket and socket_gid is not None:
        # the server's user may use the socket without being root
        config["group_add"] = [str(socket_gid)]
    if grants.gpu and devices:
        config["device_requests"] = docker_device_requests(devices)
    return config


def fingerprint(grants: Grants, devices: Sequence[str]) -> str:
    """A short digest of what a container was made with: a new one is made when it changes."""
    made_with = {**grants.to_json(), "devices": list(devices)}
    for key in ("sources", "notices"):
        del made_with[key]
    return hashlib.sha256(json.dumps(made_with, sort_keys=True).encode()).hexdigest()[:16]

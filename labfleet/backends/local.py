"""The ``local`` backend: every server a local process with its own home folder.

Run as root, labfleet gives each hub user a system account (``lf-{name}``) and a
home that only that account can read, and starts the server as that account.
Run as an ordinary user it can only start servers as itself, so users are not
isolated from each other; ``labfleet up`` says so at every start.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Unicode, default

from ..objects import safe_name, system_account_name
from .base import Backend, LabFleetSpawner, Problem

COMMAND_TIMEOUT = 30


@dataclass(frozen=True)
class Account:
    """Who a user's server runs as, and where its home is."""

    name: str
    uid: int
    gid: int
    home: Path
    shell: str


def unreachable_folders(path: Path) -> list[Path]:
    """The folders on the way to (and including) ``path`` that other accounts cannot enter."""
    return [
        folder
        for folder in [*reversed(path.parents), path]
        if folder.is_dir() and not folder.stat().st_mode & stat.S_IXOTH
    ]


def interpreter_folders() -> list[Path]:
    """What a server's account must reach to run the hub's Python environment."""
    return [Path(sys.prefix) / "bin", Path(sys.executable).resolve().parent, Path(sys.base_prefix)]


class LocalBackendSpawner(LabFleetSpawner, LocalProcessSpawner):
    """LocalProcessSpawner on labfleet's accounts and homes."""

    account: Account | None = None

    async def start(self) -> tuple[str, int]:
        self.account = await self.backend.ensure_account(self.user.name)
        return await super().start()

    @default("notebook_dir")
    def _notebook_dir_default(self) -> str:
        return str(self.backend.home_dir(self.user.name))

    @default("cmd")
    def _cmd_default(self) -> list[str]:
        # the hub's own environment, by absolute path: accounts have no PATH of ours
        return [str(Path(sys.executable).parent / "jupyterhub-singleuser")]

    def make_preexec_fn(self, name: str):
        if self.backend.isolate_users:
            return set_user_setuid(self.account.name)
        return None

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.account.name
        env["HOME"] = str(self.account.home)
        env["SHELL"] = self.account.shell
        return env


class LocalBackend(Backend):
    """Local processes and folders under the data directory."""

    name = "local"
    spawner_class = LocalBackendSpawner

    account_prefix = Unicode(
        "lf-",
        help="Prefix of the system account made for each hub user when labfleet runs as root.",
    ).tag(config=True)

    home_root = Unicode(
        "",
        help="Folder holding one home folder per user. Default: `homes` in the data directory.",
    ).tag(config=True)

    isolate_users = Bool(
        help="""Run each user's server as its own system account.

        Needs root; on by default when labfleet runs as root. Off, every server runs
        as the account that runs labfleet and users can read each other's files.
        """,
    ).tag(config=True)

    @default("isolate_users")
    def _isolate_default(self) -> bool:
        return os.geteuid() == 0

    @property
    def homes(self) -> Path:
        return Path(self.home_root).resolve() if self.home_root else self.data_dir / "homes"

    def home_dir(self, username: str) -> Path:
        return self.homes / safe_name(username)

    def account_name(self, username: str) -> str:
        return system_account_name(self.account_prefix, username)

    def check(self) -> list[Problem]:
        problems = []
        if self.isolate_users:
            if os.geteuid() != 0:
                problems.append(
                    Problem(
                        "local.isolate_users is on but labfleet is not running as root",
                        "run labfleet as root, or set local.isolate_users to false",
                    )
                )
            if not shutil.which("useradd"):
                problems.append(
                    Problem("useradd is missing", "apt-get install passwd")
                )
            blocked = {
                folder: needed
                for needed in [*interpreter_folders(), self.homes]
                for folder in unreachable_folders(needed)
            }
            problems += [
                Problem(
                    f"user accounts cannot enter {folder} (needed to reach {needed})",
                    f"chmod o+x {folder}, or install labfleet and its data directory "
                    "where every account can reach them (e.g. with /usr/bin/python3 -m venv)",
                )
                for folder, needed in blocked.items()
            ]
        return problems

    def startup_warnings(self) -> list[str]:
        if self.isolate_users:
            return []
        return [
            "Every server runs as the account that runs labfleet: users are not isolated "
            "from each other and can read each other's files. Fine for one person or a "
            "trusted group, not for a class: run labfleet as root to isolate them."
        ]

    def _ensure_account(self, username: str) -> Account:
        """Create (if needed) the system account and home of ``username``; blocking."""
        home = self.home_dir(username)
        self.homes.mkdir(parents=True, exist_ok=True)
        if not self.isolate_users:
            home.mkdir(mode=0o700, exist_ok=True)
            entry = pwd.getpwuid(os.geteuid())
            return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, home, entry.pw_shell)
        self.homes.chmod(0o711)
        name = self.account_name(username)
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            self.log.info("Creating system account %s for user %s", name, username)
            subprocess.run(
                [
                    "useradd", "--no-create-home", "--home-dir", str(home),
                    "--shell", "/bin/bash", "--user-group",
                    "--comment", f"labfleet user {safe_name(username)}", name,
                ],
                check=True, capture_output=True, timeout=COMMAND_TIMEOUT,
            )  # fmt: skip
            entry = pwd.getpwnam(name)
        if entry.pw_dir != str(home):
            # the data directory moved: the account follows its home
            subprocess.run(
                ["usermod", "--home", str(home), name],
                check=True, capture_output=True, timeout=COMMAND_TIMEOUT,
            )  # fmt: skip
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        home.chmod(0o700)
        return Account(name, entry.pw_uid, entry.pw_gid, home, entry.pw_shell)

    async def ensure_account(self, username: str) -> Account:
        """The account and home that run ``username``'s server, created on first use."""
        return await asyncio.to_thread(self._ensure_account, username)

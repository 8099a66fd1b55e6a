"""The ``local`` backend: every server a local process with its own home folder.

Run as root, labfleet gives each hub user a system account (``lf-{name}``) and a
home that only that account can read, and starts the server as that account.
Run as an ordinary user it can only start servers as itself, so users are not
isolated from each other; ``labfleet up`` says so at every start.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import STDOUT

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Float, Unicode, default

from .. import blocking
from ..branding import lab_environment
from ..groups import Mount
from ..objects import safe_name, system_account_name
from ..volumes import VolumeState
from .base import Backend, BackendError, LabFleetSpawner, Problem
from .links import sync_links

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
    """LocalProcessSpawner on labfleet's accounts, volumes and log files."""

    account: Account | None = None

    async def start(self) -> tuple[str, int]:
        self.account = await self.backend.ensure_account(self.user.name)
        problems = await self.backend.link_mounts(self.user.name, self.account, self.grants.mounts)
        for problem in problems:
            self.log.warning("Server of %s: %s", self.user.name, problem)
        log = self.backend.log_file(self.user.name)
        # a fresh start begins a fresh log; a restart in place continues it
        with log.open("ab" if self.restarting else "wb") as output:
            # the server writes its output to the log; the hub keeps only its own
            self.popen_kwargs = {**self.popen_kwargs, "stdout": output, "stderr": STDOUT}
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
        env.update(lab_environment(self.labfleet.lab_folder))
        return env


class LocalBackend(Backend):
    """Local processes; volumes are folders, logs are files, under the data directory."""

    name = "local"
    spawner_class = LocalBackendSpawner
    read_only_mounts = False  # a link cannot be read-only

    account_prefix = Unicode(
        "lf-",
        help="Prefix of the system account made for each hub user when labfleet runs as root.",
    ).tag(config=True)

    volume_root = Unicode(
        "",
        help="Folder holding the users' volumes, one folder per volume and user "
        "(<volume_root>/<volume>/<user>). Default: `volumes` in the data directory.",
    ).tag(config=True)

    isolate_users = Bool(
        help="""Run each user's server as its own system account.

        Needs root; on by default when labfleet runs as root. Off, every server runs
        as the account that runs labfleet and users can read each other's files.
        """,
    ).tag(config=True)

    size_timeout = Float(
        10, help="Seconds allowed to measure one user's volumes before giving up on sizes."
    ).tag(config=True)

    @default("isolate_users")
    def _isolate_default(self) -> bool:
        return os.geteuid() == 0

    @property
    def volumes_dir(self) -> Path:
        return Path(self.volume_root).resolve() if self.volume_root else self.data_dir / "volumes"

    def volume_dir(self, username: str, volume: str) -> Path:
        return self.volumes_dir / volume / safe_name(username)

    def home_dir(self, username: str) -> Path:
        return self.volume_dir(username, "home")

    def log_file(self, username: str) -> Path:
        logs = self.data_dir / "logs"
        logs.mkdir(mode=0o700, exist_ok=True)
        return logs / f"{safe_name(username)}.log"

    def account_name(self, username: str) -> str:
        return system_account_name(self.account_prefix, username)

    def protected_paths(self) -> list[Path]:
        return [*super().protected_paths(), self.volumes_dir]

    def unapplied_properties(self) -> dict[str, str]:
        no_cgroups = "local processes run without cgroups; the value is only shown to the server as"
        docker = "Docker access exists on the docker backend only"
        return {
            "cpu_limit": f"{no_cgroups} CPU_LIMIT",
            "mem_limit": f"{no_cgroups} MEM_LIMIT",
            "gpu": "a local server can open the host's GPUs as far as file permissions allow; "
            "CUDA_VISIBLE_DEVICES only tells CUDA which ones to use",
            "images": "local servers run labfleet's own Python environment, not images",
            "docker_socket": docker,
            "privileged": docker,
        }

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
                problems.append(Problem("useradd is missing", "apt-get install passwd"))
            blocked = {
                folder: needed
                for needed in [*interpreter_folders(), self.volumes_dir]
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

    def _system_account(self, username: str) -> pwd.struct_passwd:
        """The system account of ``username``, created on first use; blocking."""
        if not self.isolate_users:
            return pwd.getpwuid(os.geteuid())
        name = self.account_name(username)
        home = str(self.home_dir(username))
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            self.log.info("Creating system account %s for user %s", name, username)
            run(
                "useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/bash",
                "--user-group", "--comment", f"labfleet user {safe_name(username)}", name,
            )  # fmt: skip
            return pwd.getpwnam(name)
        if entry.pw_dir != home:
            # the data directory moved: the account follows its home
            run("usermod", "--home", home, name)
        return entry

    def _ensure_account(self, username: str) -> Account:
        """The account, volume folders and links of ``username``; blocking."""
        entry = self._system_account(username)
        home = self.home_dir(username)
        for spec in self.volumes:
            folder = self.volume_dir(username, spec.name)
            folder.parent.mkdir(mode=0o711, parents=True, exist_ok=True)
            folder.parent.chmod(0o711)
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        for spec in self.volumes:
            if not spec.mount:
                continue
            link = home / spec.mount
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or not link.exists():
                link.unlink(missing_ok=True)
                link.symlink_to(self.volume_dir(username, spec.name))
                os.lchown(link, entry.pw_uid, entry.pw_gid)
            else:
                self.log.warning("Not linking volume %s: %s exists in the home", spec.name, link)
        return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, home, entry.pw_shell)

    async def ensure_account(self, username: str) -> Account:
        """The account and volumes that run ``username``'s server, created on first use."""
        return await blocking.run(blocking.FILES, self._ensure_account, username)

    async def link_mounts(
        self, username: str, account: Account, mounts: Sequence[Mount]
    ) -> list[str]:
        """Link the group mounts into the home (links, so never read-only); what was skipped."""
        record = self.data_dir / "mounts" / f"{safe_name(username)}.json"
        return await blocking.run(
            blocking.FILES, sync_links, account.home, mounts, record, account.uid, account.gid
        )

    async def restart_in_place(self, spawner: LocalBackendSpawner) -> None:
        # stopping clears the token; the same one goes to the new process
        token = spawner.api_token
        await spawner.stop()
        spawner.api_token = token
        await spawner.start()

    async def list_volumes(self, username: str) -> list[VolumeState]:
        def measure(folder: Path) -> int | None:
            return folder_size(folder) if folder.is_dir() else None

        states = []
        for spec in self.volumes:
            folder = self.volume_dir(username, spec.name)
            try:
                size = await blocking.run(
                    blocking.FILES, measure, folder, timeout=self.size_timeout
                )
            except TimeoutError:
                size = None
            states.append(VolumeState(spec, str(folder), folder.is_dir(), size))
        return states

    async def reset_volumes(self, username: str, names: Sequence[str]) -> None:
        for name in names:
            folder = self.volume_dir(username, name)
            if folder.exists():
                # rmtree removes links, never what they point to
                await blocking.run(blocking.FILES, shutil.rmtree, folder)

    async def rename_volumes(self, old: str, new: str) -> None:
        await blocking.run(blocking.FILES, self._rename, old, new)

    def _rename(self, old: str, new: str) -> None:
        """Move the volume folders and the log, then rename the system account; blocking."""
        moves = [(self.volume_dir(old, s.name), self.volume_dir(new, s.name)) for s in self.volumes]
        moves.append((self.log_file(old), self.log_file(new)))
        accounts = (self.account_name(old), self.account_name(new))
        taken = [str(target) for _, target in moves if os.path.lexists(target)]
        if self.isolate_users and exists(pwd.getpwnam, accounts[1]):
            taken.append(f"the system account {accounts[1]}")
        if taken:
            raise BackendError(
                409, f"cannot rename {old} to {new}: {', '.join(taken)} already exist "
                "(left by an earlier user of that name?); remove them first",
            )  # fmt: skip
        undo: list = []
        try:
            for source, target in moves:
                if os.path.lexists(source):
                    source.rename(target)
                    undo.append(lambda s=source, t=target: t.rename(s))
            if self.isolate_users and exists(pwd.getpwnam, accounts[0]):
                self._rename_account(*accounts, self.home_dir(new), new)
                undo.append(
                    lambda: self._rename_account(*reversed(accounts), self.home_dir(old), old)
                )
        except Exception:
            for step in reversed(undo):
                step()
            raise

    def _rename_account(self, old: str, new: str, home: Path, username: str) -> None:
        """Rename a system account and its group; its uid, so its files' owner, stays."""
        run(
            "usermod", "--login", new, "--home", str(home),
            "--comment", f"labfleet user {safe_name(username)}", old,
        )  # fmt: skip
        if exists(grp.getgrnam, old):
            run("groupmod", "--new-name", new, old)

    async def logs(self, spawner: LocalBackendSpawner, tail: int) -> list[str]:
        return await blocking.run(
            blocking.FILES, tail_lines, self.log_file(spawner.user.name), tail
        )


def exists(lookup: Callable[[str], object], name: str) -> bool:
    """Whether ``pwd.getpwnam`` or ``grp.getgrnam`` knows ``name``."""
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=COMMAND_TIMEOUT)


def folder_size(folder: Path) -> int:
    """Bytes used by the files below ``folder`` (links not followed)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a text file ([] if it does not exist)."""
    if not path.exists():
        return []
    with path.open("rb") as f:
        return [line.decode(errors="replace").rstrip("\n") for line in deque(f, maxlen=count)]

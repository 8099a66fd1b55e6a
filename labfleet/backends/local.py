"""The ``local`` backend: every server a local process with its own home folder.

Run as root, labfleet gives each hub user a system account (``lf-{name}``) and a
home that only that account can read, and starts the server as that account.
Run as an ordinary user it can only start servers as itself, so users are not
isolated from each other; ``labfleet up`` says so at every start.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections import deque
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from traitlets import Bool, Enum, Float, Integer, Unicode, default

from .. import blocking
from ..groups import Mount
from ..objects import safe_name, system_account_name
from ..private_tmp import PrivateTmp
from ..profiles import Profile
from ..traitlets import Size
from ..volumes import DiskUsage, VolumeState
from . import cgroups, processes, users_env
from .accounts import Account, SystemAccounts, account_from, exists
from .admission import Admission
from .base import Backend, BackendError, Problem, Usage
from .disks import Disks, reserve_problem, same_disk, unavailable
from .launcher import Launcher
from .leftovers import SHARED_TMP, remove_files_of
from .links import LinkProblem, link, read_record, sync_links
from .local_spawner import SYSTEM_PATH, LocalBackendSpawner


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


class LocalBackend(Backend):
    """Local processes; volumes are folders, logs are files, under the data directory."""

    name = "local"
    spawner_class = LocalBackendSpawner

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
        10, min=0.1, help="Seconds allowed to measure one user's volumes before giving up on sizes."
    ).tag(config=True)

    control_groups = Enum(
        ["auto", "v2", "v1", "systemd", "off"],
        default_value="auto",
        help="""How each server is held in a control group of its own, where its limits
        (cpu_limit, mem_limit, max_processes) hold and where stopping it ends everything it
        started. auto: cgroup v2 where labfleet may use it (no systemd, or a systemd unit
        with Delegate=yes), a transient systemd scope per server on other systemd hosts,
        cgroup v1 on older hosts. off: none (no limits; a stop ends the account's processes).
        """,
    ).tag(config=True)

    max_processes = Integer(
        1024,
        min=0,
        help="Most processes and threads one server may run at once (0: no limit); "
        "a fork past it fails. Applied through the server's control group.",
    ).tag(config=True)

    disk_reserve = Size(
        "1G",
        allow_none=False,
        help="""Space the hub keeps for itself (its database, logs) on the disk of its data
        directory: a start that would leave less free, counting the disk a group's
        disk_limit makes for the user, is refused, saying why.""",
    ).tag(config=True)

    users_environment = Unicode(
        "",
        help="""Folder of the users' Python environment: what servers and kernels run, apart
        from the hub's (made at the first start; its packages come before the hub's, and
        `labfleet env install` adds to it). Default: users-env in the data directory.""",
    ).tag(config=True)

    @property
    def users_env_dir(self) -> Path:
        return (
            Path(self.users_environment) if self.users_environment else self.data_dir / "users-env"
        )

    @cached_property
    def users_python(self) -> Path:
        """The users' interpreter (the environment made if missing)."""
        return users_env.ensure(self.users_env_dir)

    fork_server = Bool(
        True,
        help="""Start servers as forks of a process that has imported the single-user
        server already (labfleet.singleuser.forkserver): a start takes a fraction of the
        time and idle servers share much of their memory. A start goes the ordinary way
        when the fork server is not ready or has ended, when the server's command is not
        labfleet's default, and when control groups are systemd scopes.""",
    ).tag(config=True)

    concurrent_starts = Integer(
        0,
        min=0,
        help="""Servers that start at the same time; further starts wait their turn in the
        order they were asked for, their spawn page showing their place (a workshop where
        everyone presses Start at once). 0: twice the number of CPUs. The wait counts
        towards the spawner's start_timeout.""",
    ).tag(config=True)

    uid_record = Unicode(
        "/var/lib/labfleet/last-uid",
        help="""File (root's alone) holding the highest uid labfleet has given an account on
        this machine: a new account gets a higher one, so no uid labfleet handed out is ever
        handed out again (what a deleted account left would belong to the next).""",
    ).tag(config=True)

    private_tmp = Bool(
        True,
        help="""Give each server a /tmp, /var/tmp and /dev/shm of its own (tmpfs in a mount
        namespace of the server's, as systemd's PrivateTmp does): what it writes there no other
        account sees, counts against its memory limit and is gone when the server stops.
        Needs isolate_users.""",
    ).tag(config=True)

    tmp_size = Size(
        "1G",
        allow_none=False,
        minimum=2**20,
        help="Most bytes a server may keep in each of its private /tmp, /var/tmp and /dev/shm "
        "(within its memory limit, which they count against).",
    ).tag(config=True)

    @property
    def isolates_users(self) -> bool:
        return self.isolate_users

    def private_tmp_of(self, spawner: LocalBackendSpawner) -> PrivateTmp | None:
        """The private folders a server gets (None: it shares the host's)."""
        if not (self.private_tmp and self.isolate_users):
            return None
        needed = [
            self.data_dir, self.users_env_dir, self.users_python, spawner.account.home,
            spawner.socket_folder,
            *(Path(mount.host) for mount in spawner.grants.mounts),
        ]  # fmt: skip
        home = os.path.realpath(spawner.account.home)
        return PrivateTmp(
            self.tmp_size,
            tuple(os.path.realpath(p) for p in needed if p is not None),
            tuple(
                (os.path.realpath(m.host), f"{home}/{m.path}")
                for m in spawner.grants.mounts
                if m.mode == "ro"
            ),
        )

    @property
    def read_only_mounts(self) -> bool:  # type: ignore[override]
        """Read-only group mounts are bound in the server's own mount namespace (the
        others are links in the home)."""
        return self.private_tmp and self.isolate_users

    @cached_property
    def admission(self) -> Admission:
        return Admission(self.concurrent_starts or 2 * (os.cpu_count() or 1))

    @cached_property
    def launcher(self) -> Launcher:
        """The fork server, started with the hub (environment: nothing of the hub's)."""
        folder = self.data_dir / "forkserver"
        return Launcher(
            str(self.users_python),
            folder,
            folder / "forkserver.log",
            {
                "PATH": os.pathsep.join(SYSTEM_PATH),
                "HOME": "/nonexistent",
                "LANG": "C.UTF-8",
                # so that it imports the extensions the servers load
                **users_env.jupyter_paths(),
            },
        )

    def start_helpers(self) -> None:
        if self.fork_server:
            self.launcher.start()

    @cached_property
    def containment(self) -> cgroups.Containment:
        """The control groups this host gives the servers (detected once)."""
        return cgroups.detect(self.control_groups if self.isolate_users else "off")

    @default("isolate_users")
    def _isolate_default(self) -> bool:
        return os.geteuid() == 0

    @property
    def volumes_dir(self) -> Path:
        return Path(self.volume_root).resolve() if self.volume_root else self.data_dir / "volumes"

    @cached_property
    def user_disks(self) -> Disks:
        """The disks of the users whose groups grant disk_limit (disks.py)."""
        return Disks(self.volumes_dir)

    @cached_property
    def disk_problem(self) -> str | None:
        """Why this host cannot apply disk_limit (None: it can)."""
        return unavailable(self.isolate_users)

    def volume_folders(self, username: str) -> dict[str, Path]:
        return {spec.name: self.volume_dir(username, spec.name) for spec in self.volumes}

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

    def apply_profile(self, spawner: LocalBackendSpawner, profile: Profile) -> None:
        # another Python runs its own server (the fork server has imported the hub's)
        if profile.python:
            spawner.cmd = [profile.python, "-m", "labfleet.singleuser"]

    def unapplied_properties(self) -> dict[str, str]:
        docker = "Docker access exists on the docker backend only"
        unapplied = {}
        containment = self.containment
        if not containment.applies_limits:
            why = f"{containment.reason}; the value is only shown to the server as"
            unapplied = {"cpu_limit": f"{why} CPU_LIMIT", "mem_limit": f"{why} MEM_LIMIT"}
        if self.disk_problem:
            unapplied["disk_limit"] = self.disk_problem
        return {
            **unapplied,
            "gpu": "a local server can open the host's GPUs as far as file permissions allow; "
            "CUDA_VISIBLE_DEVICES only tells CUDA which ones to use",
            "images": "local servers run labfleet's own Python environment, not images",
            "docker_socket": docker,
            "privileged": docker,
        }

    def check(self) -> list[Problem]:
        problems = []
        try:
            self.users_python  # noqa: B018 (made now, before any server starts)
        except (OSError, subprocess.SubprocessError) as e:
            problems.append(
                Problem(
                    f"the users' Python environment {self.users_env_dir} cannot be made: {e}",
                    "check that the folder can be written and that python3-venv is installed",
                )
            )
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
                for needed in [*interpreter_folders(), self.users_env_dir, self.volumes_dir]
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
        if not self.isolate_users:
            return [
                "Every server runs as the account that runs labfleet: users are not isolated "
                "from each other and can read each other's files. Fine for one person or a "
                "trusted group, not for a class: run labfleet as root to isolate them."
            ]
        containment = self.containment
        if not containment.applies_limits:
            return [
                f"Servers run without control groups ({containment.reason}): cpu_limit, "
                "mem_limit and max_processes are not applied, and a stop ends the server's "
                "account's processes one by one. See docs/security.md."
            ]
        return []

    @cached_property
    def accounts(self) -> SystemAccounts:
        """The system accounts this hub made (marked in the data directory)."""
        return SystemAccounts(self.data_dir / "accounts", Path(self.uid_record))

    def _system_account(self, username: str) -> pwd.struct_passwd:
        """The system account of ``username``, made on first use; blocking.

        An account of that name that this hub did not make is never taken over (another
        hub's, or the machine's): 409 naming it.
        """
        if not self.isolate_users:
            return pwd.getpwuid(os.geteuid())
        name = self.account_name(username)
        if not exists(pwd.getpwnam, name):
            self.log.info("Creating system account %s for user %s", name, username)
        return self.accounts.ensure(name, str(self.home_dir(username)), safe_name(username))

    def _check_space(self, username: str, disk_limit: int | None) -> None:
        """Refuse (507) a start that would leave the hub less than disk_reserve; blocking."""
        allocate = 0
        if disk_limit and not self.disk_problem and same_disk(self.data_dir, self.volumes_dir):
            allocate = self.user_disks.to_allocate(safe_name(username), disk_limit)
        free = shutil.disk_usage(self.data_dir).free
        problem = reserve_problem(username, free, allocate, self.disk_reserve)
        if problem:
            raise BackendError(507, problem)

    def _ensure_account(self, username: str, disk_limit: int | None = None) -> Account:
        """The account, volume folders (on a disk of their own with ``disk_limit``) and
        links of ``username``; blocking."""
        self._check_space(username, disk_limit)
        entry = self._system_account(username)
        home = self.home_dir(username)
        for spec in self.volumes:
            folder = self.volume_dir(username, spec.name)
            folder.parent.mkdir(mode=0o711, parents=True, exist_ok=True)
            folder.parent.chmod(0o711)
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        if not self.disk_problem:
            notice = self.user_disks.attach(
                safe_name(username), disk_limit, self.volume_folders(username),
                entry.pw_uid, entry.pw_gid,
            )  # fmt: skip
            if notice:
                self.log.warning("Server of %s: %s", username, notice)
        for spec in self.volumes:
            if not spec.mount:
                continue
            # the home is the user's: walked without following their links (links.py)
            volume = Mount(str(self.volume_dir(username, spec.name)), spec.mount, "rw")
            try:
                link(home, volume, entry.pw_uid, entry.pw_gid)
            except LinkProblem as e:
                self.log.warning("Not linking volume %s of %s: %s", spec.name, username, e)
        return account_from(entry, home)

    def account_of(self, username: str) -> Account | None:
        """The system account that runs ``username``'s server, if there is one; blocking."""
        if self.isolate_users:
            name = self.account_name(username)
        else:
            name = pwd.getpwuid(os.geteuid()).pw_name
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        return account_from(entry, self.home_dir(username))

    def _end_processes(self, username: str) -> None:
        """End everything the server of ``username`` left running; blocking."""
        account = self.account_of(username)
        if account is None:
            return
        self.containment.end(account.name)
        if self.isolate_users:
            # outside any control group (started by other means): the account's processes
            processes.kill(processes.pids_of_uid(account.uid))

    async def end_processes(self, username: str) -> None:
        """End everything the server of ``username`` left running."""
        try:
            await blocking.run(blocking.FILES, self._end_processes, username)
        except cgroups.ControlGroupError as e:
            self.log.error("Processes of %s's server: %s", username, e)

    async def ensure_account(self, username: str, disk_limit: int | None = None) -> Account:
        """The account and volumes that run ``username``'s server, created on first use."""
        return await blocking.run(blocking.FILES, self._ensure_account, username, disk_limit)

    async def link_mounts(
        self, username: str, account: Account, mounts: Sequence[Mount]
    ) -> list[str]:
        """Link the group mounts into the home (the mount points of read-only ones, bound
        as the server starts); what was skipped."""
        record = self.mounts_record(username)
        return await blocking.run(
            blocking.FILES, sync_links, account.home, mounts, record, account.uid, account.gid
        )

    async def restart_in_place(self, spawner: LocalBackendSpawner) -> None:
        # stopping clears the token; the same one goes to the new process, on the same
        # socket (in a folder no other account can enter)
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
        if self.user_disks.image(safe_name(username)).exists():
            folders = self.volume_folders(username)
            await blocking.run(
                blocking.FILES, self.user_disks.reset, safe_name(username),
                {name: folders[name] for name in names}, set(names) == set(folders),
            )  # fmt: skip
        for name in names:
            folder = self.volume_dir(username, name)
            if folder.exists():
                # rmtree removes links, never what they point to
                await blocking.run(blocking.FILES, shutil.rmtree, folder)

    def mounts_record(self, username: str) -> Path:
        """Where the group mounts linked into ``username``'s home are listed."""
        return self.data_dir / "mounts" / f"{safe_name(username)}.json"

    def _forget_user(self, username: str, volumes_deleted: bool) -> None:
        """End what the account runs, remove its log and records, then the account itself
        (kept, locked, while its volumes are kept: their files keep their owner); blocking."""
        self._end_processes(username)
        self.user_disks.detach(safe_name(username), self.volume_folders(username).values())
        record = self.mounts_record(username)
        shared = read_record(record)["hosts"]
        for path in (self.log_file(username), record):
            path.unlink(missing_ok=True)
        if not self.isolate_users:
            return
        if volumes_deleted:
            account = self.accounts.ours(self.account_name(username))
            if account is not None:
                # what it left where others can reach it goes with it
                remove_files_of(account.pw_uid, [*shared, *SHARED_TMP])
            self.accounts.remove(self.account_name(username))
        else:
            self.accounts.lock(self.account_name(username))

    async def forget_user(self, username: str, volumes_deleted: bool) -> None:
        await blocking.run(blocking.FILES, self._forget_user, username, volumes_deleted)

    async def rename_volumes(self, old: str, new: str) -> None:
        await blocking.run(blocking.FILES, self._rename, old, new)

    def _rename(self, old: str, new: str) -> None:
        """Move the volume folders and the log, then rename the system account; blocking."""
        moves = [(self.volume_dir(old, s.name), self.volume_dir(new, s.name)) for s in self.volumes]
        moves.append((self.log_file(old), self.log_file(new)))
        moves.append((self.mounts_record(old), self.mounts_record(new)))
        disks = self.user_disks
        moves.append((disks.image(safe_name(old)), disks.image(safe_name(new))))
        accounts = (self.account_name(old), self.account_name(new))
        if self.isolate_users:
            self.accounts.check_idle(accounts[0], f"cannot rename {old} to {new}")
        taken = [str(target) for _, target in moves if os.path.lexists(target)]
        if self.isolate_users and exists(pwd.getpwnam, accounts[1]):
            taken.append(f"the system account {accounts[1]}")
        if taken:
            raise BackendError(
                409, f"cannot rename {old} to {new}: {', '.join(taken)} already exist "
                "(left by an earlier user of that name?); remove them first",
            )  # fmt: skip
        disks.detach(safe_name(old), self.volume_folders(old).values())
        undo: list = []
        try:
            for source, target in moves:
                if os.path.lexists(source):
                    source.rename(target)
                    undo.append(lambda s=source, t=target: t.rename(s))
            if self.isolate_users and self.accounts.ours(accounts[0]):
                self.accounts.rename(*accounts, self.home_dir(new), safe_name(new))
                undo.append(
                    lambda: self.accounts.rename(
                        *reversed(accounts), self.home_dir(old), safe_name(old)
                    )
                )
        except Exception:
            for step in reversed(undo):
                step()
            raise

    async def usage(self, spawner: LocalBackendSpawner) -> Usage:
        """The server's control group's use and limits (unknown without control groups)."""
        group = self.account_name(spawner.user.name) if self.isolate_users else None
        if group is None:
            return Usage(None, None, None, None)
        return await blocking.run(blocking.FILES, self.containment.usage, group)

    async def disk_usage(self, usernames: Sequence[str]) -> dict[str, DiskUsage]:
        names = {safe_name(u): u for u in usernames}
        found = await blocking.run(blocking.FILES, self.user_disks.usage, list(names))
        return {names[name]: usage for name, usage in found.items()}

    async def logs(self, spawner: LocalBackendSpawner, tail: int) -> list[str]:
        return await blocking.run(
            blocking.FILES, tail_lines, self.log_file(spawner.user.name), tail
        )


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

"""The local backend's spawner: LocalProcessSpawner on labfleet's accounts, volumes,
control groups and log files, its servers forked from the fork server where it can and
admitted a few at a time (docs/performance.md)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from subprocess import STDOUT

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import default

from .. import blocking, private_tmp
from ..branding import lab_environment
from ..private_tmp import PrivateTmp
from . import processes, sockets, users_env
from .accounts import Account
from .base import BackendError, LabFleetSpawner
from .cgroups import Limits
from .launcher import Launch, LauncherUnavailable, LaunchFailed

PLACE_POLL = 0.5  # seconds between two looks at a waiting start's place
# the PATH of users' servers, after the users' Python environment
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
# what jupyterhub.singleuser reads as it is imported: a server given them starts afresh
FORK_UNSAFE_ENV = ("JUPYTERHUB_SINGLEUSER_EXTENSION", "JUPYTERHUB_SINGLEUSER_APP")


class LocalBackendSpawner(LabFleetSpawner, LocalProcessSpawner):
    """LocalProcessSpawner on labfleet's accounts, volumes, control groups and log files."""

    account: Account | None = None
    _join_files: list[Path] = []  # the control group's files the new process joins through
    _become_account = False
    _private_tmp: PrivateTmp | None = None  # the server's own /tmp, /var/tmp and /dev/shm

    async def start(self) -> str:
        # a few starts at once, the others in turn (their spawn page shows their place)
        async with self.backend.admission.turn(self):
            return await self.start_admitted()

    async def progress(self) -> AsyncIterator[dict]:
        """The spawn page's messages: the start's place while it waits its turn."""
        admission = self.backend.admission
        shown = None
        while (place := admission.place(self)) is not None:
            if place != shown:
                shown = place
                ahead = "you are next" if place == 0 else f"{place} ahead of you"
                message = f"Waiting to start, {ahead} ({len(admission.admitted)} starting now)"
                yield {"progress": 10, "message": message}
            await asyncio.sleep(PLACE_POLL)
        yield {"progress": 50, "message": "Starting your server..."}

    async def start_admitted(self) -> str:
        backend = self.backend
        self.account = await backend.ensure_account(self.user.name, self.grants.disk_limit)
        problems = await backend.link_mounts(self.user.name, self.account, self.grants.mounts)
        for problem in problems:
            self.log.warning("Server of %s: %s", self.user.name, problem)
        limits = Limits(self.mem_limit, self.cpu_limit, backend.max_processes or None)
        containment = backend.containment
        # whatever an earlier server of this account left is ended first
        await backend.end_processes(self.user.name)
        await blocking.run(blocking.FILES, containment.prepare, self.account.name, limits)
        await blocking.run(
            blocking.FILES, sockets.prepare_folder, self.socket_folder,
            self.account.uid, self.account.gid,
        )  # fmt: skip
        await self.hand_over_notify_key(self.account.uid, self.account.gid)
        self._join_files = containment.join_files(self.account.name)
        self._private_tmp = backend.private_tmp_of(self)
        prefix = containment.command_prefix(
            self.account.name, self.account.uid, self.account.gid, limits
        )
        # a systemd scope becomes the account itself; otherwise the new process does
        self._become_account = backend.isolate_users and not prefix
        log = backend.log_file(self.user.name)
        if not (not prefix and await self.start_forked(log)):
            await self.start_process(prefix, log)
        try:
            await self.wait_for_socket(self.still_running)
        except Exception:
            await self.stop(now=True)
            raise
        return self.socket_url()

    async def start_forked(self, log: Path) -> bool:
        """Start the server as a child of the fork server; False when it cannot (then
        nothing was started): not the default command, or the fork server not ready."""
        backend = self.backend
        if not backend.fork_server or self.shell_cmd or self.cmd != self._cmd_default():
            return False
        env = self.get_env()
        if any(name in env for name in FORK_UNSAFE_ENV):
            return False
        account = self.account
        launch = Launch(
            argv=self.get_args(),
            env=env,
            cwd=str(account.home),
            log=str(log),
            append=self.restarting,
            join=[str(f) for f in self._join_files],
            private_tmp=asdict(self._private_tmp) if self._private_tmp else None,
            account=(
                {"name": account.name, "uid": account.uid, "gid": account.gid}
                if self._become_account
                else None
            ),
        )
        try:
            self.pid = await backend.launcher.launch(launch)
            self.proc = None  # an earlier start's process, if it had one
        except LauncherUnavailable as e:
            self.log.info("Starting %s's server without the fork server: %s", self.user.name, e)
            return False
        except LaunchFailed as e:
            raise BackendError(500, f"{self.user.name}'s server could not start: {e}") from None
        self.log.info("Started %s's server from the fork server (pid %s)", self.user.name, self.pid)
        return True

    async def start_process(self, prefix: list[str], log: Path) -> None:
        """Start the server as a new process (LocalProcessSpawner's way)."""
        configured_cmd = self.cmd
        self.cmd = [*prefix, *configured_cmd]
        try:
            # a fresh start begins a fresh log; a restart in place continues it
            with log.open("ab" if self.restarting else "wb") as output:
                # the server writes its output to the log; the hub keeps only its own
                self.popen_kwargs = {**self.popen_kwargs, "stdout": output, "stderr": STDOUT}
                await super().start()
        finally:
            self.cmd = configured_cmd

    async def still_running(self) -> bool:
        return self.running()

    def running(self) -> bool:
        """Whether the server's first process still runs."""
        if self.proc is not None:
            return self.proc.poll() is None
        return processes.process_uid(self.pid) is not None

    def load_state(self, state: dict) -> None:
        """The state kept for a server the hub adopts after a restart: its pid, and the token
        it runs with, read from its own environment once it is sure to be the server."""
        super().load_state(state)
        if self.pid and not self.api_token:
            account = self.backend.account_of(self.user.name)
            if account and processes.process_uid(self.pid) == account.uid:
                self.account = account
                self.api_token = processes.environment(self.pid).get("JUPYTERHUB_API_TOKEN", "")

    async def poll(self) -> int | None:
        """None while the server runs; not running once it is a zombie (a server that
        outlived its hub has no parent to reap it)."""
        status = await super().poll()
        if status is None and self.proc is None and processes.process_uid(self.pid) is None:
            return 0
        return status

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        # what the server's processes left running ends with it
        await self.backend.end_processes(self.user.name)

    @default("notebook_dir")
    def _notebook_dir_default(self) -> str:
        return str(self.backend.home_dir(self.user.name))

    @default("cmd")
    def _cmd_default(self) -> list[str]:
        # the users' environment, by absolute path: accounts have no PATH of ours;
        # labfleet's launcher of jupyterhub-singleuser, which starts it faster
        return [str(self.backend.users_python), "-m", "labfleet.singleuser"]

    def make_preexec_fn(self, name: str):
        """Join the server's control group, take its private folders, then become its
        account (unless systemd does)."""
        join = [os.fsencode(f) for f in self._join_files]
        private = self._private_tmp
        setuid = set_user_setuid(self.account.name) if self._become_account else None

        def preexec() -> None:
            pid = str(os.getpid()).encode()
            for path in join:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, pid)
                finally:
                    os.close(fd)
            if private is not None:
                private_tmp.enter(private)
            if setuid is not None:
                setuid()

        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.account.name
        env["HOME"] = str(self.account.home)
        env["SHELL"] = self.account.shell
        # a clean PATH: the users' Python environment and the system's, nothing of root's
        env["PATH"] = os.pathsep.join([str(self.backend.users_python.parent), *SYSTEM_PATH])
        env.update(lab_environment(self.labfleet.lab_folder))
        env.update(users_env.jupyter_paths(env.get("JUPYTER_CONFIG_PATH")))
        return env

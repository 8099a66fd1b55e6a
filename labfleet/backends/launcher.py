"""The hub's side of the fork server (``labfleet.singleuser.forkserver``).

The local backend starts one fork server beside the hub and asks it for each server it
starts: a fork of a process that has imported the single-user server already starts in
a fraction of the time a new interpreter takes, and its idle memory is largely shared.
When the fork server is not ready, has ended or does not answer, a start goes the
ordinary way (a new process), so the fork server is never needed for a start to work.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from traitlets.log import get_logger

READY_TIMEOUT = 120  # seconds the fork server may take to import everything
ANSWER_TIMEOUT = 20  # seconds a child may take to answer its pid
COMMAND = ["-P", "-m", "labfleet.singleuser.forkserver"]  # after the users' interpreter
# the fork server's environment keeps this much room, where each child writes its own
ENV_ROOM = 64 * 1024
ROOM_VARIABLE = "LABFLEET_ENVIRONMENT_ROOM"


class LauncherUnavailable(Exception):
    """The fork server cannot start this server: start it the ordinary way."""


class LaunchFailed(Exception):
    """The fork server's child could not become the server (its account, folder, files)."""


@dataclass(frozen=True)
class Launch:
    """One server to start: what ``jupyterhub-singleuser`` gets, and as whom."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    log: str
    append: bool
    join: list[str]  # control group files the child writes its pid to
    account: dict | None  # {"name", "uid", "gid"}; None: stay the hub's account
    private_tmp: dict | None  # labfleet.private_tmp.PrivateTmp's fields; None: the host's


class Launcher:
    """One fork server, started on demand and started again after it ends."""

    def __init__(self, python: str, folder: Path, log_file: Path, environment: dict[str, str]):
        self.python = python
        self.socket = folder / "forkserver.sock"
        self.folder = folder
        self.log_file = log_file
        self.environment = {**environment, ROOM_VARIABLE: "." * ENV_ROOM}
        self.process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task | None = None
        self.ready = False

    def start(self) -> None:
        """Start the fork server in the background unless it runs or is starting."""
        running = self.process is not None and self.process.returncode is None
        if running or (self._starting is not None and not self._starting.done()):
            return
        self.ready = False
        self._starting = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self.socket.unlink(missing_ok=True)
        with self.log_file.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                self.python, *COMMAND, str(self.socket),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
                env=self.environment, cwd="/",
            )  # fmt: skip
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), READY_TIMEOUT)
        except asyncio.TimeoutError:
            line = b""
        if line.strip() == b"ready":
            self.ready = True
            get_logger().info("The fork server is ready (pid %s)", self.process.pid)
        else:
            get_logger().warning("The fork server did not start: see %s", self.log_file)
            self.process.kill()

    async def launch(self, launch: Launch) -> int:
        """Start a server through the fork server; its pid."""
        if sum(len(f"{k}={v}".encode()) + 1 for k, v in launch.env.items()) > ENV_ROOM:
            raise LauncherUnavailable("the server's environment is larger than the fork server's")
        if not self.ready or self.process is None or self.process.returncode is not None:
            self.start()
            raise LauncherUnavailable("the fork server is not ready")
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.socket))
        except OSError as e:
            raise LauncherUnavailable(f"the fork server does not answer: {e}") from None
        try:
            writer.write(json.dumps(asdict(launch)).encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), ANSWER_TIMEOUT)
        except (OSError, asyncio.TimeoutError) as e:
            raise LauncherUnavailable(f"the fork server's child did not answer: {e!r}") from None
        finally:
            writer.close()
        try:
            answer = json.loads(line)
        except ValueError:
            raise LauncherUnavailable("the fork server's child ended before answering") from None
        if "error" in answer:
            raise LaunchFailed(answer["error"])
        return int(answer["pid"])

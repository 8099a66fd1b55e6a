"""The runtime seam: one Backend per runtime (local processes, Docker, Kubernetes)."""

from __future__ import annotations

import secrets
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from jupyterhub.proxy import Proxy
from jupyterhub.spawner import Spawner
from jupyterhub.utils import AnyTimeoutError
from tornado import web
from traitlets import Float, Instance, List, default
from traitlets.config import LoggingConfigurable

from .. import blocking, environment
from ..activity import seen
from ..gpu import gpu_devices, gpu_environment
from ..groups import BackendFacts, Grants, PropertiesError, start_grants, start_notices
from ..notify.tickets import KEY_ENVIRONMENT, KEY_FILE, KEY_FILE_ENVIRONMENT
from ..profiles import Profile
from ..proxy.caddy import CaddyProxy
from ..proxy.routes import socket_url
from ..traitlets import Cpus, Size, memory_limit
from ..volumes import DiskUsage, VolumeSpec, VolumeState
from ..workshop.people import is_participant
from . import sockets

if TYPE_CHECKING:
    from ..context import LabFleetContext


@dataclass(frozen=True)
class Problem:
    """Something in the environment that stops a backend from working, and its fix."""

    what: str
    fix: str


@dataclass(frozen=True)
class Usage:
    """What a server's group uses now, and its limits (None: unknown or none)."""

    memory_bytes: int | None
    memory_limit_bytes: int | None
    processes: int | None
    processes_limit: int | None
    cpu_seconds: float | None = None  # CPU time used so far (the CPU % needs two readings)

    def to_json(self) -> dict[str, int | float | None]:
        return {
            "memory_bytes": self.memory_bytes,
            "memory_limit_bytes": self.memory_limit_bytes,
            "processes": self.processes,
            "processes_limit": self.processes_limit,
            "cpu_seconds": self.cpu_seconds,
        }


class BackendError(web.HTTPError):
    """An operation failed on the backend; answered with ``status`` and ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)
        self.message = message


class Backend(LoggingConfigurable):
    """Everything that differs between runtimes.

    Subclasses name their spawner class; the hub uses it for every server, and
    the spawner reaches its backend through :attr:`LabFleetSpawner.backend`.
    Operations a runtime cannot do raise BackendError(501) naming the backend.
    """

    name: ClassVar[str]
    spawner_class: ClassVar[type[Spawner]]
    # False: a read-only group mount cannot be enforced, so it is refused
    read_only_mounts: ClassVar[bool] = True
    # the hub's proxy (the proxy section of labfleet.yaml)
    proxy_class: ClassVar[type[Proxy]] = CaddyProxy

    data_dir = Instance(Path, help="The labfleet data directory (set by the hub).")
    # where servers' socket folders are made (set by the hub; None: servers listen on TCP)
    sockets_dir: Path | None = None
    # the hub's own socket (set by the hub; None: the hub listens on TCP)
    hub_socket: Path | None = None
    # the largest request body the proxy sends a server (set by the hub; 0: no limit)
    max_body = 0
    volumes = List(help="The VolumeSpecs every user has (set by the hub).")

    restart_timeout = Float(
        60, min=0.1, help="Seconds a restarted server has to answer again."
    ).tag(config=True)

    @property
    def isolates_users(self) -> bool:
        """Whether users' servers are kept apart from each other (accounts, containers)."""
        return True

    def check(self) -> list[Problem]:
        """Cheap checks of what this backend needs; empty when all is well."""
        return []

    # the images labfleet.yaml's environments name (set by the hub before its checks)
    environment_images: tuple[str, ...] = ()

    def startup_warnings(self) -> list[str]:
        """Facts the operator should hear at every start (not errors)."""
        return []

    def start_helpers(self) -> None:
        """Start what the backend runs beside the hub, once the hub's event loop runs."""

    def protected_paths(self) -> list[Path]:
        """Host folders no group may mount: labfleet's own data, users' volumes."""
        return [self.data_dir]

    def unapplied_properties(self) -> dict[str, str]:
        """Group properties (labfleet.groups) this backend does not apply, each with why."""
        return {}

    def group_facts(self) -> BackendFacts:
        """What the groups need to know of this backend, once the hub has set its volumes."""
        return BackendFacts(
            name=self.name,
            protected_paths=tuple(str(p) for p in self.protected_paths()),
            volume_mounts=tuple(v.mount for v in self.volumes if v.mount),
            read_only_mounts=self.read_only_mounts,
            unapplied=self.unapplied_properties(),
        )

    def socket_folder(self, username: str, server_name: str) -> Path | None:
        """The folder of the Unix socket that ``username``'s server listens on, as the hub
        and the proxy see it (None: the server listens on TCP)."""
        if self.sockets_dir is None:
            return None
        return sockets.server_folder(self.sockets_dir, username, server_name)

    def socket_in_server(self, folder: Path) -> Path:
        """The server's socket, as the server sees it."""
        return folder / sockets.SOCKET

    def unsupported(self, what: str) -> BackendError:
        return BackendError(501, f"the {self.name} backend cannot {what}")

    def apply_profile(self, spawner: LabFleetSpawner, profile: Profile) -> None:
        """Run the server of ``spawner`` from ``profile`` (its image, its Python)."""

    async def restart(self, spawner: LabFleetSpawner) -> None:
        """Restart the running server in place and wait until it answers again."""
        spawner.restarting = True
        try:
            await self.restart_in_place(spawner)
            await spawner.server.wait_up(http=True, timeout=self.restart_timeout)
        except AnyTimeoutError:
            raise BackendError(
                504, f"the server did not answer within {self.restart_timeout:g}s of its restart"
            ) from None
        finally:
            spawner.restarting = False

    async def restart_in_place(self, spawner: LabFleetSpawner) -> None:
        """Stop and start the server's process or container, keeping its home and token.

        The hub removes the server's route first and adds it again after: the address may
        change (``spawner.server`` says where it is now).
        """
        raise self.unsupported("restart a server in place")

    async def list_volumes(self, username: str) -> list[VolumeState]:
        """Every configured volume of ``username``, with its size where known."""
        raise self.unsupported("list volumes")

    async def reset_volumes(self, username: str, names: Sequence[str]) -> None:
        """Delete the named volumes of a stopped server; they come back empty at next start."""
        raise self.unsupported("reset volumes")

    def volume_specs(self, names: Sequence[str]) -> dict[str, VolumeSpec]:
        """The volumes ``names`` by name; BackendError(400) naming those no user has."""
        specs = {spec.name: spec for spec in self.volumes}
        unknown = [name for name in names if name not in specs]
        if unknown:
            raise BackendError(400, f"no such volume: {', '.join(unknown)}")
        return {name: specs[name] for name in names}

    async def forget_user(self, username: str, volumes_deleted: bool) -> None:
        """Remove what the backend keeps of a deleted user besides volumes (processes, logs,
        accounts); ``volumes_deleted`` says whether their volumes went too."""

    async def rename_volumes(self, old: str, new: str) -> None:
        """Move a stopped user's volumes, and all else kept under their name, from ``old``
        to ``new``.

        Refuses (409) when something already exists under ``new``; changes nothing then.
        """
        raise self.unsupported("rename volumes")

    def volume_name(self, username: str, spec: VolumeSpec) -> str:
        """The runtime's name of ``username``'s volume ``spec`` (a Docker volume, a PVC)."""
        raise self.unsupported("name volumes")

    async def existing_volumes(self, names: Sequence[str]) -> set[str]:
        """Which of the runtime's volumes ``names`` exist (backends whose volumes are objects
        of the runtime: Docker volumes, PVCs)."""
        raise self.unsupported("list volumes by name")

    async def refuse_rename_with_volumes(self, old: str, new: str, volumes: str) -> None:
        """Refuse (409) to rename ``old`` while they have ``volumes`` (e.g. "Docker volumes"),
        which cannot be renamed, or while ``new`` has some already."""
        for user, why in (
            (old, f"{volumes} cannot be renamed, and {old} has some"),
            (new, f"{volumes} named for {new} exist already (left by an earlier user?)"),
        ):
            names = [self.volume_name(user, spec) for spec in self.volumes]
            existing = sorted(await self.existing_volumes(names))
            if existing:
                raise BackendError(
                    409,
                    f"the {self.name} backend cannot rename {old} to {new}: {why} "
                    f"({', '.join(existing)}); delete them first, or keep the name",
                )

    async def usage(self, spawner: LabFleetSpawner) -> Usage:
        """What the running server uses now, and its limits."""
        raise self.unsupported("measure a server")

    async def disk_usage(self, usernames: Sequence[str]) -> dict[str, DiskUsage]:
        """What the volumes of those of ``usernames`` who have a disk of their own (a group's
        disk_limit) hold, against its size; none by default."""
        return {}

    async def logs(self, spawner: LabFleetSpawner, tail: int) -> list[str]:
        """The last ``tail`` lines the server printed (also after it stopped or failed)."""
        raise self.unsupported("show server logs")


class LabFleetSpawner(LoggingConfigurable):
    """What every labfleet spawner shares, whatever its runtime.

    A mixin placed before the runtime's Spawner class: ``class X(LabFleetSpawner, DockerSpawner)``.
    """

    user: typing.Any  # provided by the Spawner it is mixed into
    # JupyterHub's limits, checked as labfleet applies them (what a server starts in, CPUs
    # above 0): the checks of the groups' and the environments' limits
    mem_limit = memory_limit(help=Spawner.mem_limit.help).tag(config=True)
    mem_guarantee = Size(None, allow_none=True, help=Spawner.mem_guarantee.help).tag(config=True)
    cpu_limit = Cpus(None, allow_none=True, help=Spawner.cpu_limit.help).tag(config=True)
    restarting = False  # True while the backend restarts the server in place
    _grants: Grants | None = None
    _configured_limits: tuple[int | None, float | None] | None = None

    @property
    def labfleet(self) -> LabFleetContext:
        return self.user.settings["labfleet"]

    @property
    def backend(self) -> Backend:
        return self.labfleet.backend

    @default("default_url")
    def _default_url_default(self) -> str:
        return "/lab"

    @default("disable_user_config")
    def _disable_user_config_default(self) -> bool:
        # a user's own ~/.jupyter could change what the server sends, e.g. its
        # Content-Security-Policy; see docs/security.md
        return True

    @default("options_form")
    def _options_form_default(self):
        # the choice of environment, when labfleet.yaml offers some
        return lambda spawner: spawner.labfleet.environments.form(spawner.user_options.get("env"))

    def options_from_form(self, formdata: dict) -> dict:
        """The environment chosen (the form's, or a link's ``opt-env``); 400 for another."""
        name = (formdata.get("env") or [""])[0] or None
        try:
            profile = self.labfleet.environments.find(name)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        return {"env": profile.name} if profile else {}

    def run_pre_spawn_hook(self):
        if self.labfleet.operations.busy(self.user.name):
            raise web.HTTPError(
                409, f"An operation on {self.user.name}'s volumes or server is in progress"
            )
        self._grants = self.resolve_grants()
        self.apply_profile()
        return super().run_pre_spawn_hook()

    @property
    def profile(self) -> Profile | None:
        """The environment of this server (None when labfleet.yaml offers none)."""
        try:
            return self.labfleet.environments.find(self.user_options.get("env"))
        except ValueError as e:  # an environment removed from labfleet.yaml since
            raise web.HTTPError(400, str(e)) from None

    def apply_profile(self) -> None:
        """The chosen environment's limits and what runs it (image or Python)."""
        profile = self.profile
        if profile is None:
            return
        if profile.gpu and not self.grants.gpu:
            raise web.HTTPError(
                403, f"The environment {profile.display_name} uses GPUs, which none of your "
                "groups grants: choose another, or ask an admin.",
            )  # fmt: skip
        if profile.mem_limit:
            self.mem_limit = profile.mem_limit
        if profile.cpu_limit:
            self.cpu_limit = profile.cpu_limit
        self.backend.apply_profile(self, profile)

    @property
    def grants(self) -> Grants:
        """What the user's groups give this server, fixed at its start (kept by a restart)."""
        if self._grants is None:  # a server started before the hub restarted
            self._grants = self.resolve_grants()
        return self._grants

    def resolve_grants(self) -> Grants:
        """Resolve the user's groups now, set the limits and say what is not applied."""
        context = self.labfleet
        own = environment.load(context.db, self.user.id)
        try:
            grants = start_grants(context.groups, context.group_rules, self.user.groups, own)
        except PropertiesError as e:
            raise web.HTTPError(500, f"{e}. An admin must correct the group.") from None
        if self._configured_limits is None:
            self._configured_limits = (self.mem_limit, self.cpu_limit)
        mem_limit, cpu_limit = self._configured_limits
        self.mem_limit = mem_limit if grants.mem_limit is None else grants.mem_limit
        self.cpu_limit = cpu_limit if grants.cpu_limit is None else grants.cpu_limit
        # the admin's business (the hub's log, doctor), not the student's start page
        for notice in start_notices(grants, context.not_applied):
            self.log.warning("Server of %s: %s", self.user.name, notice)
        return grants

    @property
    def gpus(self) -> list[str]:
        """The GPUs this server gets: the detected ones, if one of the user's groups grants GPUs."""
        wanted = self.grants.gpu and (self.profile is None or self.profile.gpu)
        return gpu_devices(self.labfleet.gpu) if wanted else []

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env.update(gpu_environment(self.gpus))
        env.update(self.grants.environment)
        # Python never imports from the working folder (a kernel's is its notebook's,
        # maybe a folder other accounts write): kernels, terminals and the server alike
        env["PYTHONSAFEPATH"] = "1"
        folder = self.socket_folder
        if folder is not None:
            # jupyterhub-singleuser then leaves the port alone; --ServerApp.sock is the address
            inner = self.backend.socket_in_server(folder)
            env["JUPYTERHUB_SERVICE_URL"] = socket_url(str(inner)) + self.server.base_url
            # where this start's notification key waits (see hand_over_notify_key)
            env[KEY_FILE_ENVIRONMENT] = str(inner.with_name(KEY_FILE))
        elif self.notify_key:
            # no folder of its own (kubernetes): the key itself, taken out of the
            # environment as the server starts (labfleet.singleuser), but shown by
            # /proc/PID/environ to the processes of the server's user
            env[KEY_ENVIRONMENT] = self.notify_key.hex()
        return env

    @property
    def notify_key(self) -> bytes:
        """The key of this start's notification tickets (empty: none, as for a server
        adopted from a hub that kept none)."""
        nonce = self._notify_nonce
        return self.labfleet.broadcaster.start_key(nonce) if nonce else b""

    def new_notify_key(self) -> bytes:
        """A new key for the start under way (each start has its own; forgotten at stop)."""
        self._notify_nonce = secrets.token_hex(16)
        return self.notify_key

    async def hand_over_notify_key(self, uid: int, gid: int) -> None:
        """Write a new key into the socket folder, for the server about to start as ``uid``:
        a file it reads and deletes, never its environment (which /proc/PID/environ keeps
        showing, to the processes of the account for a plainly started server)."""
        await blocking.run(
            blocking.FILES, sockets.write_key, self.socket_folder, self.new_notify_key(), uid, gid
        )

    @property
    def socket_folder(self) -> Path | None:
        """The folder of this server's socket on the host (None: it listens on TCP)."""
        return self.backend.socket_folder(self.user.name, self.name)

    @property
    def socket_path(self) -> Path:
        """This server's socket on the host."""
        return self.socket_folder / sockets.SOCKET

    def socket_url(self) -> str:
        """The server's address, as the hub and the proxy reach it."""
        return socket_url(str(self.socket_path))

    async def wait_for_socket(self, running: Callable[[], Awaitable[bool]]) -> None:
        """Return once the server accepts connections on its socket (a folder only its
        account can write: no other account can listen there); ``running`` says whether
        the server has not ended meanwhile."""
        try:
            listening = await sockets.wait_for_socket(self.socket_path, running, self.start_timeout)
        except TimeoutError:
            raise BackendError(
                504, f"{self.user.name}'s server did not listen within {self.start_timeout}s"
            ) from None
        if not listening:
            raise BackendError(500, f"{self.user.name}'s server exited: see its log")

    def get_args(self) -> list[str]:
        args = list(super().get_args())
        folder = self.socket_folder
        if folder is not None:
            inner = self.backend.socket_in_server(folder)
            args += [f"--ServerApp.sock={inner}", *sockets.server_limits(self.backend.max_body)]
        # its user's use of it reaches the hub within half the activity window
        window = self.labfleet.activity.config.inactive_after
        args.append(f"--HubOAuth.cache_max_age={seen.check_seconds(window)}")
        workshop = self.labfleet.workshop.config
        if workshop.enabled:
            # labfleet.singleuser.save_events: saves reach the hub, faster for participants
            args += ["--SaveEvents.enabled=True",
                     f"--SaveEvents.content_limit_kb={workshop.content_limit_kb}"]  # fmt: skip
            if workshop.autosave_seconds and is_participant(self.user.orm_user, workshop):
                args.append(f"--SaveEvents.autosave_seconds={workshop.autosave_seconds}")
        return args

    async def poll_and_notify(self):
        # the hub's periodic poll must not take a restart in place for a crash
        if self.restarting:
            return None
        return await super().poll_and_notify()

    # the hub.subdomain_host a server was started with: its environment names its origins
    _started_for: str | None = None
    # the nonce of this start's notification key: kept for a hub restart, gone at stop
    _notify_nonce = ""

    def get_state(self) -> dict:
        state = super().get_state()
        state["subdomain_host"] = self.user.settings.get("subdomain_host", "")
        if self._notify_nonce:
            state["notify_nonce"] = self._notify_nonce
        return state

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        self._started_for = state.get("subdomain_host")
        self._notify_nonce = state.get("notify_nonce", "")

    def clear_state(self) -> None:
        super().clear_state()
        self._started_for = None
        self._notify_nonce = ""

    async def poll(self) -> int | None:
        """A server adopted from before a change of hub.subdomain_host is stopped: its
        environment and cookies belong to the origins it was started for."""
        status = await super().poll()
        now = self.user.settings.get("subdomain_host", "")
        if status is None and self._started_for is not None and self._started_for != now:
            self.log.warning(
                "Stopping %s's server: it was started for subdomain_host %r, now %r",
                self.user.name, self._started_for, now,
            )  # fmt: skip
            self._started_for = None
            await self.stop(now=True)
            return 0
        return status

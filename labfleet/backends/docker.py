"""The ``docker`` backend: every server a container, every volume a Docker named volume.

Containers use the host's network, publish no port and listen on a Unix socket in a
folder mounted from the host (reached through the proxy only); they reach the hub on its
socket, mounted read-only, so no traffic goes to container bridge addresses. Containers
and volumes carry the label ``labfleet.user`` (the hub user name); volumes also
``labfleet.volume`` (the key of their VolumeSpec), so ``docker volume ls --filter
label=labfleet.user`` finds them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import urlsplit

import docker
import requests
from docker.types import Mount
from dockerspawner import DockerSpawner
from jupyterhub.utils import maybe_future
from traitlets import Float, Integer, Unicode, default

from .. import blocking
from ..branding import lab_environment
from ..objects import render_name
from ..profiles import Profile
from ..proxy.routes import socket_url
from ..traitlets import Url
from ..volumes import VolumeSpec, VolumeState
from . import docker_grants, images, sockets
from .base import Backend, BackendError, LabFleetSpawner, Problem, Usage

USER_LABEL = "labfleet.user"
VOLUME_LABEL = "labfleet.volume"
# where a server sees the JupyterLab branding folder (read-only)
LAB_BRANDING_MOUNT = "/etc/labfleet/branding"
# where a server sees the folder of its socket, and the hub's (read-only)
SOCKET_MOUNT = "/run/labfleet"
HUB_SOCKET_MOUNT = "/run/labfleet-hub"

T = TypeVar("T")
DISK_LIMIT_UNAPPLIED = (
    "the users' files are in Docker named volumes, which the local volume driver does not "
    "limit in size (see docs/groups.md)"
)


class LabDockerSpawner(LabFleetSpawner, DockerSpawner):
    """DockerSpawner on the host network, named and mounted by the docker backend."""

    @default("client_kwargs")
    def _client_kwargs_default(self) -> dict:
        return {"base_url": self.backend.engine_url}

    @default("image")
    def _image_default(self) -> str:
        return self.backend.image

    @default("network_name")
    def _network_default(self) -> str:
        return "host"

    @default("ip")
    def _ip_default(self) -> str:
        return "127.0.0.1"

    @default("use_internal_ip")
    def _use_internal_ip_default(self) -> bool:
        # no published ports: the server listens on its socket (socket_folder)
        return True

    @default("remove")
    def _remove_default(self) -> bool:
        # the container outlives a stop so that it can be restarted in place
        return False

    @default("name_template")
    def _name_template_default(self) -> str:
        return self.backend.container_name_template

    @default("volumes")
    def _volumes_default(self) -> dict[str, str]:
        return self.backend.mounts(self.user.name)

    @default("extra_create_kwargs")
    def _extra_create_kwargs_default(self) -> dict:
        # DockerSpawner renders the templates: {raw_username} is the hub user name
        return {"labels": {USER_LABEL: "{raw_username}"}}

    @default("read_only_volumes")
    def _read_only_volumes_default(self) -> dict[str, str]:
        folder = self.labfleet.lab_folder
        return {str(folder): LAB_BRANDING_MOUNT} if folder else {}

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        if self.labfleet.lab_folder:
            env.update(lab_environment(LAB_BRANDING_MOUNT))
        hub = self.backend.hub_socket
        if hub is not None:
            # the hub's socket, as the container sees it
            inner = socket_url(str(PurePosixPath(HUB_SOCKET_MOUNT, hub.name)))
            for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_ACTIVITY_URL"):
                env[name] = inner + urlsplit(env[name]).path
        return env

    def template_namespace(self) -> dict:
        namespace = super().template_namespace()
        # DockerSpawner's own escaping differs; labfleet's names use objects.safe_name
        namespace["username"] = render_name("{username}", self.user.name)
        return namespace

    async def start(self) -> str:
        await self.backend.prepare_volumes(self.user.name)
        await blocking.run(
            blocking.FILES, sockets.prepare_folder, self.socket_folder, self.backend.socket_owner, 0
        )
        await self.hand_over_notify_key(self.backend.socket_owner, 0)
        await self._kept_container()
        await super().start()
        await self.wait_for_socket(self.still_running)
        return self.socket_url()

    async def still_running(self) -> bool:
        """Whether the container still runs (one that exits at start fails it at once)."""
        return await self.poll() is None

    async def _kept_container(self) -> dict | None:
        """The container kept from the last start, unless it lacks a configured volume or was
        made with other grants of the user's groups (labfleet.groups).

        One made before a volume was configured, or before the groups changed, is removed;
        start makes a new one.
        """
        container = await self.get_object()
        if not container or container["State"]["Running"]:
            return container
        mounted = {m.get("Name") for m in container["Mounts"] if m["Type"] == "volume"}
        targets = {m.get("Destination") for m in container["Mounts"]}
        made_with = (container["Config"]["Labels"] or {}).get(docker_grants.GRANTS_LABEL)
        if (
            set(self.backend.mounts(self.user.name)) <= mounted
            and SOCKET_MOUNT in targets
            and made_with == self.made_with()
        ):
            return container
        self.log.info("The volumes or groups of %s changed: making a new container", self.user.name)
        await self.remove_object()
        return None

    def made_with(self) -> str:
        """The digest of the grants a container of this start is made with."""
        return docker_grants.fingerprint(self.grants, self.gpus)

    @property
    def mount_binds(self) -> list:
        # beside the configured mounts: the groups' folders and the engine's socket, the
        # folder of the server's socket and (read-only) the hub's
        socket = docker_grants.engine_socket(self.backend.engine_url)
        granted = docker_grants.mounts(self.grants, self.backend.home_mount, socket)
        own = [Mount(target=SOCKET_MOUNT, source=str(self.socket_folder), type="bind")]
        hub = self.backend.hub_socket
        if hub is not None:
            own.append(
                Mount(target=HUB_SOCKET_MOUNT, source=str(hub.parent), type="bind", read_only=True)
            )
        return [*super().mount_binds, *granted, *own]

    async def create_object(self) -> dict:
        """The container, with what the user's groups grant in its host config and labels."""
        configured = self.extra_host_config, self.extra_create_kwargs
        host = await maybe_future(self._eval_if_callable(self.extra_host_config))
        create = await maybe_future(self._eval_if_callable(self.extra_create_kwargs))
        gid = self.backend.socket_gid()
        granted = docker_grants.host_config(self.grants, self.gpus, gid)
        labels = {**create.get("labels", {}), docker_grants.GRANTS_LABEL: self.made_with()}
        self.extra_host_config = {**host, **granted}
        self.extra_create_kwargs = {**create, "labels": labels}
        try:
            return await super().create_object()
        finally:
            self.extra_host_config, self.extra_create_kwargs = configured

    async def get_ip_and_port(self) -> tuple[str, int]:
        return self.ip, self.port


def _remove_volume(client: docker.DockerClient, name: str) -> None:
    """Remove the volume ``name`` if it exists."""
    try:
        client.volumes.get(name).remove()
    except docker.errors.NotFound:
        pass


class DockerBackend(Backend):
    """Docker containers and named volumes through the engine's socket."""

    name = "docker"
    spawner_class = LabDockerSpawner

    image = Unicode(
        "labfleet-lab:latest",
        help="Image of the users' servers (built locally by scripts/build-lab-image.sh).",
    ).tag(config=True)

    container_name_template = Unicode(
        "labfleet-{username}",
        help="Name of each user's container; {username} is the escaped user name.",
    ).tag(config=True)

    volume_name_template = Unicode(
        "labfleet-{username}-{volume}",
        help="Name of each user's Docker volumes; {username} is escaped, {volume} the "
        "volume's key.",
    ).tag(config=True)

    socket_owner = Integer(
        1000,
        min=0,
        help="The uid the image's server runs as: it owns the folder of the server's socket "
        "(1000: jovyan, in labfleet's image and Jupyter's docker-stacks).",
    ).tag(config=True)

    home_mount = Unicode(
        "/home/jovyan",
        help="Where the home volume is mounted in the container; the other volumes go below it.",
    ).tag(config=True)

    engine_url = Url(
        "unix:///var/run/docker.sock",
        schemes=("unix", "tcp", "http", "https", "ssh"),
        example="unix:///var/run/docker.sock or tcp://127.0.0.1:2375",
        allow_empty=False,
        help="Address of the Docker engine's API.",
    ).tag(config=True)

    engine_timeout = Float(
        10, min=0.1, help="Seconds to wait for the Docker engine before giving up."
    ).tag(config=True)

    restart_grace = Integer(
        10,
        min=0,
        help="Whole seconds a server has to exit by itself at a restart in place before "
        "it is killed.",
    ).tag(config=True)

    size_timeout = Float(
        5,
        min=0.1,
        help="Seconds to wait for the volumes' sizes (docker system df, slow on big volumes); "
        "after that the sizes are shown as unknown.",
    ).tag(config=True)

    _client: docker.DockerClient | None = None

    def socket_in_server(self, folder: Path) -> Path:
        return Path(SOCKET_MOUNT, sockets.SOCKET)

    # -- names ---------------------------------------------------------------------

    def container_name(self, username: str) -> str:
        return render_name(self.container_name_template, username)

    def volume_name(self, username: str, spec: VolumeSpec) -> str:
        return render_name(self.volume_name_template, username, volume=spec.name)

    def mount_path(self, spec: VolumeSpec) -> str:
        return str(PurePosixPath(self.home_mount, spec.mount))

    def mounts(self, username: str) -> dict[str, str]:
        """Docker volume name -> folder in the container, for every configured volume."""
        return {self.volume_name(username, spec): self.mount_path(spec) for spec in self.volumes}

    # -- engine --------------------------------------------------------------------

    def _connect(self) -> docker.DockerClient:
        """A client of the engine; blocking (it asks the engine for its API version)."""
        return docker.DockerClient(base_url=self.engine_url, timeout=self.engine_timeout)

    def _with_client(self, fn: Callable[[docker.DockerClient], T]) -> T:
        if self._client is None:
            self._client = self._connect()
        return fn(self._client)

    async def _call(
        self, fn: Callable[[docker.DockerClient], T], timeout: float | None = None
    ) -> T:
        """``fn(client)`` on the engine's pool, bounded by ``timeout`` (default: engine_timeout)
        from when the call starts.

        Engine failures become BackendErrors; docker.errors.NotFound passes through,
        for the caller to decide what a missing object means.
        """
        limit = self.engine_timeout if timeout is None else timeout
        where = f"the Docker engine at {self.engine_url}"
        try:
            return await blocking.run(blocking.ENGINE, self._with_client, fn, timeout=limit)
        except docker.errors.NotFound:
            raise
        except docker.errors.APIError as e:
            status = 409 if e.status_code == 409 else 502
            raise BackendError(status, f"{where} refused: {e.explanation}") from e
        except (TimeoutError, requests.exceptions.Timeout) as e:
            raise BackendError(504, f"{where} did not answer within {limit:g}s") from e
        except (docker.errors.DockerException, requests.exceptions.ConnectionError) as e:
            raise BackendError(503, f"{where} is not reachable ({e})") from e

    def socket_gid(self) -> int | None:
        """The group of the engine's socket on the host (None: no socket, or out of reach)."""
        socket = docker_grants.engine_socket(self.engine_url)
        try:
            return os.stat(socket).st_gid if socket else None
        except OSError:
            return None

    def apply_profile(self, spawner: LabDockerSpawner, profile: Profile) -> None:
        if profile.image:
            spawner.image = profile.image

    def unapplied_properties(self) -> dict[str, str]:
        # storage_opt size bounds a container's own layer only (and only on some storage
        # drivers), never the named volumes that hold the users' files
        unapplied = {"disk_limit": DISK_LIMIT_UNAPPLIED}
        if not docker_grants.engine_socket(self.engine_url):
            unapplied["docker_socket"] = (
                f"the engine is reached at {self.engine_url}, not a socket here"
            )
        return unapplied

    @property
    def listed_images(self) -> list[str]:
        """The servers' image and the environments' images."""
        return images.listed(self.image, self.environment_images)

    def startup_warnings(self) -> list[str]:
        try:
            absent = images.missing(self._connect(), self.environment_images)
        except docker.errors.DockerException:
            return []  # check() says the engine is not reachable
        return [
            f"The image {image} of an environment is not on this engine: its servers cannot "
            "start. Run labfleet images pull (or build it)."
            for image in absent
        ]

    def has_image(self, image: str) -> bool:
        return not images.missing(self._connect(), [image])

    def pull_images(self, show: Callable[[str], None]) -> dict[str, str | None]:
        """Pull every listed image, showing progress; image -> why it failed (None: pulled)."""
        client = self._connect()
        return {image: images.pull(client, image, show) for image in self.listed_images}

    def check(self) -> list[Problem]:
        try:
            client = self._connect()
            client.ping()
        except docker.errors.DockerException as e:
            return [
                Problem(
                    f"the Docker engine is not reachable ({e})",
                    "install docker.io and start dockerd (scripts/start-dockerd.sh)",
                )
            ]
        try:
            client.images.get(self.image)
        except docker.errors.ImageNotFound:
            return [
                Problem(
                    f"the image {self.image} is not on this engine",
                    "build it with scripts/build-lab-image.sh or set docker.image",
                )
            ]
        return []

    # -- volumes -------------------------------------------------------------------

    async def existing_volumes(self, names: Iterable[str]) -> set[str]:
        """Which of the volumes ``names`` exist."""
        wanted = set(names)
        # the name filter matches substrings: keep the exact names only
        found = await self._call(lambda c: c.volumes.list(filters={"name": sorted(wanted)}))
        return wanted & {volume.name for volume in found}

    async def _sizes(self) -> dict[str, int]:
        """Bytes used by each volume on the engine; {} when that takes too long or fails."""
        try:
            usage = await self._call(lambda c: c.df(), timeout=self.size_timeout)
        except BackendError as e:
            self.log.warning("Volume sizes are unknown: %s", e.message)
            return {}
        return {
            volume["Name"]: volume["UsageData"]["Size"]
            for volume in usage.get("Volumes") or []
            if (volume.get("UsageData") or {}).get("Size", -1) >= 0
        }

    async def list_volumes(self, username: str) -> list[VolumeState]:
        names = {spec: self.volume_name(username, spec) for spec in self.volumes}
        existing = await self.existing_volumes(names.values())
        sizes = await self._sizes() if existing else {}
        return [
            VolumeState(spec, name, exists=name in existing, size_bytes=sizes.get(name))
            for spec, name in names.items()
        ]

    async def prepare_volumes(self, username: str) -> None:
        """Create the missing volumes of ``username``, labelled and writable by the image's user."""
        names = {spec: self.volume_name(username, spec) for spec in self.volumes}
        existing = await self.existing_volumes(names.values())
        missing = {spec: name for spec, name in names.items() if name not in existing}
        for spec, name in missing.items():
            labels = {USER_LABEL: username, VOLUME_LABEL: spec.name}
            await self._call(lambda c: c.volumes.create(name, labels=labels))
        if not missing:
            return
        try:
            await self._call(lambda c: self._give_to_image_user(c, username))
        except Exception:
            # the new volumes hold nothing of the user's yet: without them, the next
            # start creates them again and retries
            for name in missing.values():
                await self._call(lambda c: _remove_volume(c, name))
            raise

    def _give_to_image_user(self, client: docker.DockerClient, username: str) -> None:
        """Chown every mount point, and the folders on the way to it, to the image's user.

        A new volume takes the owner of its mount point in the image, and Docker creates
        a mount point that the image lacks as root: without this, the server's user could
        not write to a volume mounted at a folder its image does not have. One short-lived
        container from the same image, as root, with no network; blocking.
        """
        user = client.images.get(self.image).attrs["Config"].get("User") or "root"
        if user in ("root", "0"):
            return
        # chown USER: also sets USER's login group; a bare uid may have no passwd entry
        owner = user if ":" in user or user.isdigit() else f"{user}:"
        home = PurePosixPath(self.home_mount)
        folders = {home}
        for spec in self.volumes:
            path = PurePosixPath(self.mount_path(spec))
            folders.update(p for p in (path, *path.parents) if p.is_relative_to(home))
        try:
            client.containers.run(
                self.image,
                [owner, *sorted(map(str, folders))],
                entrypoint=["chown"],
                user="0",
                network_mode="none",
                volumes={
                    name: {"bind": path, "mode": "rw"}
                    for name, path in self.mounts(username).items()
                },
                labels={USER_LABEL: username},
                remove=True,
            )
        except docker.errors.ContainerError as e:
            raise BackendError(
                500, f"could not give the volumes of {username} to {user}: {e.stderr!r}"
            ) from e

    async def reset_volumes(self, username: str, names: Sequence[str]) -> None:
        """Remove the user's stopped container (it holds the volumes) then the named volumes.

        The container is recreated at the next start, and the volumes with it, empty.
        """
        specs = self.volume_specs(names)
        container = self.container_name(username)
        try:
            await self._call(lambda c: c.containers.get(container).remove())
        except docker.errors.NotFound:
            pass
        except BackendError as e:
            if e.status_code == 409:
                raise BackendError(
                    409, f"the server of {username} is running: stop it before resetting volumes"
                ) from e
            raise
        for name in names:
            volume = self.volume_name(username, specs[name])
            await self._call(lambda c: _remove_volume(c, volume))
            self.log.info("Reset volume %s of %s (%s)", name, username, volume)

    async def rename_volumes(self, old: str, new: str) -> None:
        """Docker volumes cannot be renamed: only a user without volumes can be renamed.

        Copying them through a helper container would double the disk use and the time of
        a rename; the admin decides instead (keep the name, or delete the volumes).
        """
        await self.refuse_rename_with_volumes(old, new, "Docker volumes")

    # -- servers -------------------------------------------------------------------

    async def restart_in_place(self, spawner: LabDockerSpawner) -> None:
        """``docker restart`` of the server's container: same id, volumes, port and token;
        a new notification key (the server deleted the last one's file)."""
        name = spawner.object_name
        await spawner.hand_over_notify_key(self.socket_owner, 0)
        try:
            await self._call(
                lambda c: c.containers.get(name).restart(timeout=self.restart_grace),
                timeout=self.engine_timeout + self.restart_grace,
            )
        except docker.errors.NotFound:
            raise BackendError(
                404, f"the container {name} of {spawner.user.name} does not exist"
            ) from None

    async def usage(self, spawner: LabDockerSpawner) -> Usage:
        """The container's memory, processes and CPU time, from the engine's statistics."""
        name = spawner.object_name
        try:
            stats = await self._call(lambda c: c.containers.get(name).stats(stream=False))
        except docker.errors.NotFound:
            return Usage(None, None, None, None)
        memory, pids = stats.get("memory_stats") or {}, stats.get("pids_stats") or {}
        cpu_nanoseconds = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage")
        return Usage(
            memory_bytes=memory.get("usage"),
            # without a limit of its own the engine reports the host's memory
            memory_limit_bytes=memory.get("limit") if spawner.mem_limit else None,
            processes=pids.get("current"),
            processes_limit=pids.get("limit"),
            cpu_seconds=cpu_nanoseconds / 1e9 if cpu_nanoseconds is not None else None,
        )

    async def logs(self, spawner: LabDockerSpawner, tail: int) -> list[str]:
        """The container's last stdout and stderr lines, also once it has exited.

        No lines when there is no container (never started, or its volumes were reset).
        """
        name = spawner.object_name
        try:
            output = await self._call(lambda c: c.containers.get(name).logs(tail=tail))
        except docker.errors.NotFound:
            return []
        return output.decode(errors="replace").splitlines()

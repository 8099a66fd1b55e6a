"""The ``docker`` backend: every server a container, every volume a Docker named volume.

Containers use the host's network and listen on a loopback port chosen by the hub,
so no traffic goes to container bridge addresses.
"""

from __future__ import annotations

import docker
from dockerspawner import DockerSpawner
from jupyterhub.utils import random_port
from traitlets import Float, Unicode, default

from ..objects import render_name
from .base import Backend, LabFleetSpawner, Problem


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

    @default("remove")
    def _remove_default(self) -> bool:
        # the container outlives a stop so that it can be restarted in place
        return False

    @default("name_template")
    def _name_template_default(self) -> str:
        return self.backend.container_name_template

    @default("volumes")
    def _volumes_default(self) -> dict[str, str]:
        name = render_name(self.backend.volume_name_template, self.user.name, volume="home")
        return {name: self.backend.home_mount}

    def template_namespace(self) -> dict:
        namespace = super().template_namespace()
        # DockerSpawner's own escaping differs; labfleet's names use objects.safe_name
        namespace["username"] = render_name("{username}", self.user.name)
        return namespace

    async def start(self):
        if not self.port:
            self.port = random_port()
        return await super().start()

    async def get_ip_and_port(self) -> tuple[str, int]:
        return self.ip, self.port


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
        help="Name of each user's Docker volumes; {username} is escaped, {volume} the volume's key.",
    ).tag(config=True)

    home_mount = Unicode(
        "/home/jovyan", help="Where the home volume is mounted in the container."
    ).tag(config=True)

    engine_url = Unicode(
        "unix:///var/run/docker.sock", help="Address of the Docker engine's API."
    ).tag(config=True)

    engine_timeout = Float(
        10, help="Seconds to wait for the Docker engine before giving up."
    ).tag(config=True)

    def check(self) -> list[Problem]:
        try:
            client = docker.DockerClient(base_url=self.engine_url, timeout=self.engine_timeout)
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

"""Runtimes a hub can run its servers on, by the name used in labfleet.yaml."""

from .base import Backend
from .docker import DockerBackend
from .kubernetes import KubernetesBackend
from .local import LocalBackend

BACKENDS: dict[str, type[Backend]] = {
    b.name: b for b in (LocalBackend, DockerBackend, KubernetesBackend)
}

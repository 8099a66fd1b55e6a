"""The runtime seam: one Backend per runtime (local processes, Docker, Kubernetes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import typing
from typing import TYPE_CHECKING, ClassVar

from jupyterhub.spawner import Spawner
from traitlets import Instance, default
from traitlets.config import LoggingConfigurable

if TYPE_CHECKING:
    from ..context import LabFleetContext


@dataclass(frozen=True)
class Problem:
    """Something in the environment that stops a backend from working, and its fix."""

    what: str
    fix: str


class Backend(LoggingConfigurable):
    """Everything that differs between runtimes.

    Subclasses name their spawner class; the hub uses it for every server, and
    the spawner reaches its backend through :attr:`LabFleetSpawner.backend`.
    """

    name: ClassVar[str]
    spawner_class: ClassVar[type[Spawner]]

    data_dir = Instance(Path, help="The labfleet data directory (set by the hub).")

    def check(self) -> list[Problem]:
        """Cheap checks of what this backend needs; empty when all is well."""
        return []

    def startup_warnings(self) -> list[str]:
        """Facts the operator should hear at every start (not errors)."""
        return []


class LabFleetSpawner(LoggingConfigurable):
    """What every labfleet spawner shares, whatever its runtime.

    A mixin placed before the runtime's Spawner class: ``class X(LabFleetSpawner, DockerSpawner)``.
    """

    user: typing.Any  # provided by the Spawner it is mixed into

    @property
    def labfleet(self) -> LabFleetContext:
        return self.user.settings["labfleet"]

    @property
    def backend(self) -> Backend:
        return self.labfleet.backend

    @default("default_url")
    def _default_url_default(self) -> str:
        return "/lab"

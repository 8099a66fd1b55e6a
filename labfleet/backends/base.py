"""The runtime seam: one Backend per runtime (local processes, Docker, Kubernetes)."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from jupyterhub.spawner import Spawner
from tornado import web
from jupyterhub.utils import AnyTimeoutError
from traitlets import Float, Instance, List, default
from traitlets.config import LoggingConfigurable

from ..volumes import VolumeState

if TYPE_CHECKING:
    from ..context import LabFleetContext


@dataclass(frozen=True)
class Problem:
    """Something in the environment that stops a backend from working, and its fix."""

    what: str
    fix: str


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

    data_dir = Instance(Path, help="The labfleet data directory (set by the hub).")
    volumes = List(help="The VolumeSpecs every user has (set by the hub).")

    restart_timeout = Float(
        60, help="Seconds a restarted server has to answer again."
    ).tag(config=True)

    def check(self) -> list[Problem]:
        """Cheap checks of what this backend needs; empty when all is well."""
        return []

    def startup_warnings(self) -> list[str]:
        """Facts the operator should hear at every start (not errors)."""
        return []

    def unsupported(self, what: str) -> BackendError:
        return BackendError(501, f"the {self.name} backend cannot {what}")

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
        """Stop and start the server's process or container, keeping home, address and token."""
        raise self.unsupported("restart a server in place")

    async def list_volumes(self, username: str) -> list[VolumeState]:
        """Every configured volume of ``username``, with its size where known."""
        raise self.unsupported("list volumes")

    async def reset_volumes(self, username: str, names: Sequence[str]) -> None:
        """Delete the named volumes of a stopped server; they come back empty at next start."""
        raise self.unsupported("reset volumes")

    async def logs(self, spawner: LabFleetSpawner, tail: int) -> list[str]:
        """The last ``tail`` lines the server printed (also after it stopped or failed)."""
        raise self.unsupported("show server logs")


class LabFleetSpawner(LoggingConfigurable):
    """What every labfleet spawner shares, whatever its runtime.

    A mixin placed before the runtime's Spawner class: ``class X(LabFleetSpawner, DockerSpawner)``.
    """

    user: typing.Any  # provided by the Spawner it is mixed into
    restarting = False  # True while the backend restarts the server in place

    @property
    def labfleet(self) -> LabFleetContext:
        return self.user.settings["labfleet"]

    @property
    def backend(self) -> Backend:
        return self.labfleet.backend

    @default("default_url")
    def _default_url_default(self) -> str:
        return "/lab"

    def run_pre_spawn_hook(self):
        if self.labfleet.operations.busy(self.user.name):
            raise web.HTTPError(
                409, f"An operation on {self.user.name}'s volumes or server is in progress"
            )
        return super().run_pre_spawn_hook()

    async def poll_and_notify(self):
        # the hub's periodic poll must not take a restart in place for a crash
        if self.restarting:
            return None
        return await super().poll_and_notify()

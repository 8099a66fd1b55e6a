"""The state that labfleet's handlers, spawners and jobs share, built once by the hub."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyterhub import orm
from sqlalchemy.orm import Session

from . import environment
from .activity.monitor import ActivityMonitor
from .auth.accounts import Accounts
from .backends.base import Backend
from .branding import Branding
from .culling import Culling
from .db.user_rows import UserRows
from .gpu import GpuStatus
from .groups import Groups, Rules, views
from .notify.broadcaster import Broadcaster
from .operations import Operations
from .profiles import Environments
from .settings_report import SettingsSource
from .workshop.tools import WorkshopTools


@dataclass
class LabFleetContext:
    """Stored in the tornado settings as ``settings["labfleet"]``."""

    data_dir: Path
    backend: Backend
    db: Session
    culling: Culling
    accounts: Accounts
    groups: Groups
    group_rules: Rules  # what groups may hold on this hub's backend
    not_applied: Mapping[str, str]  # group properties this hub does not apply, with why
    operations: Operations
    branding: Branding
    lab_folder: Path | None  # JupyterLab's branding (Jupyter configuration), if any
    gpu: GpuStatus  # what GPU detection found at start
    settings: SettingsSource
    environments: Environments
    broadcaster: Broadcaster
    activity: ActivityMonitor
    workshop: WorkshopTools
    user_rows: UserRows  # labfleet's rows of each user, deleted and renamed with them

    def group_view(self, group: orm.Group, running: Callable[[orm.User], bool]) -> dict[str, Any]:
        """A group as the API and the groups page show it."""
        return views.group_view(group, self.groups, self.group_rules, self.not_applied, running)

    def environment_view(self, user: orm.User) -> dict[str, Any]:
        """A user's own variables and what their groups set, as the API and the page show them."""
        own = environment.load(self.db, user.id)
        return views.environment_view(self.groups, self.group_rules, user.groups, own)

"""The state that labfleet's handlers, spawners and jobs share, built once by the hub."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from .auth.accounts import Accounts
from .backends.base import Backend
from .branding import Branding
from .culling import Culling
from .gpu import GpuStatus
from .groups import Groups
from .operations import Operations
from .settings_report import SettingsSource


@dataclass
class LabFleetContext:
    """Stored in the tornado settings as ``settings["labfleet"]``."""

    data_dir: Path
    backend: Backend
    db: Session
    culling: Culling
    accounts: Accounts
    groups: Groups
    operations: Operations
    branding: Branding
    lab_folder: Path | None  # JupyterLab's branding (Jupyter configuration), if any
    gpu: GpuStatus  # what GPU detection found at start
    settings: SettingsSource

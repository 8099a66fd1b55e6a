"""The state that labfleet's handlers, spawners and jobs share, built once by the hub."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from .auth.accounts import Accounts
from .backends.base import Backend
from .culling import Culling
from .groups import Groups
from .operations import Operations
from .platform import Platform


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
    platform: Platform

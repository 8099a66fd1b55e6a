"""The hubs an account ran on this machine: a small registry, so that a start in the wrong
folder finds the real hub instead of making a second one with a new admin."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnownHub:
    data_dir: str
    config: str


def read(registry: Path) -> list[KnownHub]:
    try:
        return [KnownHub(**entry) for entry in json.loads(registry.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def others(registry: Path, data_dir: Path) -> list[KnownHub]:
    """The hubs of the registry, but ``data_dir``'s, whose data directory still exists."""
    return [
        hub for hub in read(registry)
        if hub.data_dir != str(data_dir) and Path(hub.data_dir, "hub").is_dir()
    ]  # fmt: skip


def remember(registry: Path, data_dir: Path, config: Path) -> None:
    """Add a hub to the registry (forgetting those whose data directory is gone)."""
    kept = [hub for hub in read(registry) if Path(hub.data_dir, "hub").is_dir()]
    entry = KnownHub(str(data_dir), str(config))
    entries = [hub for hub in kept if hub.data_dir != entry.data_dir] + [entry]
    registry.parent.mkdir(parents=True, exist_ok=True)
    tmp = registry.with_name(f".{registry.name}.{os.getpid()}")
    tmp.write_text(json.dumps([asdict(hub) for hub in entries], indent=1))
    tmp.replace(registry)

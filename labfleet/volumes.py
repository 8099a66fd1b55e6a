"""The volumes every user has (home, workspace, cache by default), as configured."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"[a-z][a-z0-9]*")

DEFAULT_VOLUMES = {
    "home": {
        "label": "Home",
        "description": "Your home folder: notebooks, settings, installed packages.",
        "mount": "",
    },
    "workspace": {
        "label": "Workspace",
        "description": "Project files, kept apart from your home.",
        "mount": "workspace",
    },
    "cache": {
        "label": "Cache",
        "description": "Downloads and caches that can be rebuilt.",
        "mount": ".cache",
    },
}


@dataclass(frozen=True)
class VolumeSpec:
    """One configured volume; ``mount`` is relative to the user's home ("" is the home)."""

    name: str
    label: str
    description: str
    mount: str
    users_reset: bool = True  # whether its user may reset it (an admin always may)


@dataclass(frozen=True)
class VolumeState:
    """A user's volume as it is now on the backend."""

    spec: VolumeSpec
    resource: str  # folder path, Docker volume name or PVC name
    exists: bool
    size_bytes: int | None  # None when the backend cannot tell cheaply

    def to_json(self) -> dict:
        return {
            "name": self.spec.name,
            "label": self.spec.label,
            "description": self.spec.description,
            "mount": self.spec.mount,
            "resource": self.resource,
            "exists": self.exists,
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class DiskUsage:
    """What a user's volumes hold on a disk of their own, against its size (their limit)."""

    used_bytes: int
    limit_bytes: int

    def to_json(self) -> dict[str, int]:
        return {"used_bytes": self.used_bytes, "limit_bytes": self.limit_bytes}


def parse_volumes(config: dict[str, dict], users_reset_home: bool = False) -> list[VolumeSpec]:
    """Validated volume specs from the ``labfleet.volumes`` setting; users reset their home
    only with ``users_reset_home``, their other volumes always."""
    if "home" not in config:
        raise ValueError("the volume 'home' must be defined")
    specs = []
    for name, values in config.items():
        if not NAME.fullmatch(name):
            raise ValueError(f"volume name {name!r} must match {NAME.pattern}")
        if not isinstance(values, dict):
            raise ValueError(f"volume {name!r}: give a mapping of label, description and mount")
        unknown = set(values) - {"label", "description", "mount"}
        if unknown:
            raise ValueError(f"volume {name!r}: unknown keys {sorted(unknown)}")
        mount = values.get("mount", name if name != "home" else "").strip("/")
        if (name == "home") != (mount == "") or ".." in mount.split("/"):
            raise ValueError(
                f"volume {name!r}: mount {mount!r} must be a folder inside the home "
                "('' only for home)"
            )
        specs.append(
            VolumeSpec(
                name=name,
                label=values.get("label", name.capitalize()),
                description=values.get("description", ""),
                mount=mount,
                users_reset=name != "home" or users_reset_home,
            )
        )
    return specs

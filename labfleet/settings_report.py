"""The settings report: every setting as the settings page and API show it, from the traitlets.

Each section of labfleet.yaml in use (:class:`labfleet.settings.Section`, the running
backend's only) lists every setting that labfleet defines or gives its own default, and
every setting labfleet.yaml sets; JupyterHub's other settings keep JupyterHub's defaults
and are only counted. Values come from the hub's live objects where there is one (the
spawner is made per server: its section shows labfleet.yaml's values and the defaults).
Secrets are masked, whatever the section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from traitlets import Bool, Float, HasTraits, Integer, TraitType
from traitlets.config import Config

from . import help_text
from .gpu import GpuStatus
from .settings import Section, own_traits, trait_schema

MASK = "********"
SECRET_NAME = re.compile(r"secret|token|passw(or)?d|credential|private|api_?key|(^|_)keys?$", re.I)
URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]+):[^@/\s]+@")


@dataclass(frozen=True)
class SettingsSource:
    """What the report reads, gathered once by the hub at start."""

    config_file: str
    backend: str
    config: Config  # what labfleet.yaml sets (not the command line)
    sections: Sequence[Section]
    objects: Mapping[str, HasTraits]  # section -> the live object its settings apply to


def is_secret(name: str) -> bool:
    """Whether a setting or key of that name holds a secret (a path to one does not)."""
    return bool(SECRET_NAME.search(name)) and not name.endswith("_file")


def jsonable(value: Any) -> Any:
    """``value`` as JSON: classes and functions by dotted name, bytes by size."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, type) or callable(value):
        return f"{value.__module__}.{getattr(value, '__qualname__', type(value).__name__)}"
    return repr(value)


def mask(value: Any, secret: bool = False) -> Any:
    """A JSON value with secrets replaced by :data:`MASK` (empty ones, numbers and flags stay)."""
    if secret:
        shown = value in (None, "", [], {}) or isinstance(value, (bool, int, float))
        return value if shown else MASK
    if isinstance(value, dict):
        return {k: mask(v, is_secret(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return URL_PASSWORD.sub(rf"\1:{MASK}@", value)
    return value


def accepts(schema: Mapping[str, Any] | None) -> str:
    """What a setting accepts in labfleet.yaml, in words, from its JSON schema."""
    if schema is None:
        return "not settable in labfleet.yaml"
    if "anyOf" in schema:
        return " or ".join(accepts(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind is None:
        return "anything"
    words = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if "minimum" in schema:
        words += f" ≥ {schema['minimum']}"
    if "maximum" in schema:
        words += f" ≤ {schema['maximum']}"
    return words


def from_labfleet(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "labfleet"


def labfleet_default(mro: list[type], name: str) -> bool:
    """Whether a labfleet class gives trait ``name`` its default."""
    return any(
        from_labfleet(c) and name in c.__dict__.get("_trait_default_generators", {}) for c in mro
    )


def configured(config: Config, mro: list[type], name: str) -> tuple[bool, Any]:
    """Whether the configuration sets ``name`` for a class of ``mro``, and the value that wins."""
    found, value = False, None
    for cls in reversed(mro):
        if cls.__name__ in config and name in config[cls.__name__]:
            found, value = True, config[cls.__name__][name]
    return found, value


def setting(
    name: str, trait: TraitType, obj: HasTraits | None, mro: list[type], config: Config
) -> dict[str, Any]:
    """One setting: current value, default, whether labfleet.yaml sets it, help, what it accepts."""
    is_set, set_value = configured(config, mro, name)
    computed = False
    if obj is not None:
        value, default = getattr(obj, name), obj.trait_defaults(name)
    elif labfleet_default(mro, name):
        computed = True
        value, default = (set_value if is_set else None), None
    else:
        default = trait.default()
        value = set_value if is_set else default
    secret = is_secret(name) and not isinstance(trait, (Bool, Integer, Float))
    return {
        "key": name,
        "value": mask(jsonable(value), secret),
        "default": mask(jsonable(default), secret),
        "computed": computed,  # the default is computed for each server
        "configured": is_set,
        "secret": secret,
        "help": help_text.plain(trait.help),
        "help_paragraphs": help_text.paragraphs(trait.help),
        "accepts": accepts(trait_schema(trait)),
    }


def section(part: Section, obj: HasTraits | None, config: Config) -> dict[str, Any]:
    """A section's settings that labfleet defines, defaults or that labfleet.yaml sets."""
    cls = part.cls
    mro = type(obj).mro() if obj is not None else cls.mro()
    traits = own_traits(part)
    if obj is not None and type(obj) is not cls:
        # what the live object's class redefines is shown in that class's own section
        traits = {k: t for k, t in traits.items() if k not in type(obj).class_own_traits()}
    shown = {
        key: trait
        for key, trait in sorted(traits.items())
        if from_labfleet(trait.this_class)
        or labfleet_default(mro, key)
        or configured(config, mro, key)[0]
    }
    return {
        "name": part.name,
        "class": f"{cls.__module__}.{cls.__name__}",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "settings": [setting(key, trait, obj, mro, config) for key, trait in shown.items()],
        "at_upstream_defaults": len(traits) - len(shown),
    }


def report(source: SettingsSource, gpu: GpuStatus) -> dict[str, Any]:
    """Every section in use with its settings, the GPU status and the configuration's file."""
    return {
        "config_file": source.config_file,
        "backend": source.backend,
        "sections": [
            section(part, source.objects.get(part.name), source.config)
            for part in source.sections
            if part.in_use
        ],
        "gpu": gpu.to_json(),
    }

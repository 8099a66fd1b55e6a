"""labfleet.yaml -> traitlets Config: the one place that reads the configuration file.

The file has one section per configurable class; each key of a section is a trait
of that class. The hub hands this module its table of sections (:class:`SectionTable`,
made by :meth:`labfleet.app.LabFleet.section_table`); the schema that checks the file
is generated from the traitlets themselves, so it never drifts from what the code
accepts:

    labfleet:  {data_dir: ./labfleet-data, backend: local}
    hub:       {bind_url: "http://127.0.0.1:8000"}
    spawner:   {start_timeout: 60}
"""

from __future__ import annotations

import copy
import difflib
import os
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml
from jupyterhub.traitlets import ByteSpecification, Command
from traitlets import (
    Any,
    Bool,
    Dict,
    Enum,
    Float,
    Integer,
    List,
    Set,
    TraitError,
    TraitType,
    Tuple,
    Type,
    Unicode,
    Union,
)
from traitlets.config import Config, Configurable

DEFAULT_FILE = "labfleet.yaml"
# where a machine keeps its hub's labfleet.yaml (`labfleet service install` writes there)
SYSTEM_FILE = Path("/etc/labfleet/labfleet.yaml")
# where each user's labfleet finds the hubs it ran, by data directory
REGISTRY = Path("/var/lib/labfleet/hubs.json")


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Section:
    """A section of labfleet.yaml: the class whose traits it sets, and where the hub keeps it."""

    name: str
    cls: type[Configurable]
    # the hub's attribute holding the object the section configures ("": the hub itself);
    # None: there is none to show (one spawner is made per server)
    attribute: str | None = None
    own_traits: bool = False  # only the traits the class itself defines, not its bases'
    in_use: bool = True  # False: a backend's section while another backend runs


@dataclass(frozen=True)
class SectionTable:
    """The sections of labfleet.yaml for each backend (``labfleet.backend`` picks one)."""

    default_backend: str
    by_backend: Mapping[str, Sequence[Section]]

    def sections(self, backend: str) -> Sequence[Section]:
        return self.by_backend[backend]


def own_traits(section: Section) -> dict[str, TraitType]:
    """The traits a section may set."""
    return (
        section.cls.class_own_traits(config=True)
        if section.own_traits
        else section.cls.class_traits(config=True)
    )


def trait_schema(trait: TraitType) -> dict[str, typing.Any] | None:
    """JSON schema of the values a trait accepts from YAML; None if YAML cannot set it."""
    schema: dict[str, typing.Any]
    if isinstance(trait, Union):
        options = [trait_schema(t) for t in trait.trait_types]
        if None in options:
            return None
        schema = {"anyOf": options}
    elif isinstance(trait, Enum):
        schema = {"enum": list(trait.values)}
    elif isinstance(trait, Bool):
        schema = {"type": "boolean"}
    elif isinstance(trait, ByteSpecification):
        schema = {"type": ["integer", "string"]}
    elif isinstance(trait, Integer):
        schema = {"type": "integer"}
        if trait.min is not None:
            schema["minimum"] = trait.min
        if trait.max is not None:
            schema["maximum"] = trait.max
    elif isinstance(trait, Float):
        schema = {"type": "number"}
    elif isinstance(trait, (Unicode, Type)):
        schema = {"type": "string"}
    elif isinstance(trait, (List, Set, Tuple)):
        schema = {"type": "array"}
        if isinstance(trait, Command):
            schema = {"anyOf": [schema, {"type": "string"}]}
    elif isinstance(trait, Dict):
        schema = {"type": "object"}
    elif isinstance(trait, Any):
        if trait.default_value is None:
            return None  # a hook: a callable, which only a Python configuration file can give
        schema = {}
    else:
        return None
    if trait.allow_none and schema:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema["description"] = (trait.help or "").strip()
    return schema


def build_schema(sections: Sequence[Section]) -> dict[str, typing.Any]:
    """The JSON schema of labfleet.yaml with these sections."""
    properties = {}
    for section in sections:
        keys = {}
        for name, trait in own_traits(section).items():
            schema = trait_schema(trait)
            if schema is not None:
                keys[name] = schema
        properties[section.name] = {
            "type": "object",
            "properties": keys,
            "additionalProperties": False,
        }
    return {"type": "object", "properties": properties, "additionalProperties": False}


def describe(error: jsonschema.ValidationError) -> str:
    """One line naming the key and what it accepts."""
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = f"{path}." if path else ""
        lines = []
        for key in extra:
            close = difflib.get_close_matches(key, allowed, n=3)
            hint = (
                f"did you mean {', '.join(where + c for c in close)}?"
                if close
                else f"allowed keys: {', '.join(allowed)}"
                if len(allowed) <= 12
                else "see `labfleet config keys` for the allowed keys"
            )
            lines.append(f"unknown key '{where}{key}': {hint}")
        return "; ".join(lines)
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"key '{path}': {error.instance!r} is not allowed; allowed values: {allowed}"
    if error.validator == "type":
        expected = error.validator_value
        return f"key '{path}': {error.instance!r} is not of type {expected}"
    return f"key '{path}': {error.message}"


def read_file(path: Path) -> dict[str, typing.Any]:
    """The raw mapping in a labfleet.yaml ({} for an empty file)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def backend_of(data: Mapping[str, typing.Any], table: SectionTable) -> str:
    """The backend ``data`` chooses (the table's default when it names none)."""
    section = data.get("labfleet") or {}
    default = table.default_backend
    backend = section.get("backend", default) if isinstance(section, dict) else default
    if backend not in table.by_backend:
        raise ConfigError(
            f"key 'labfleet.backend': {backend!r} is not allowed; "
            f"allowed values: {', '.join(table.by_backend)}"
        )
    return backend


def configured_class(section: Section, sections: Sequence[Section]) -> type[Configurable]:
    """The class of the object ``section`` configures: the most derived class of the sections
    that configure that object (the hub's ``hub`` section configures labfleet's hub)."""
    if section.attribute is None:
        return section.cls
    same = [
        s.cls
        for s in sections
        if s.attribute == section.attribute and issubclass(s.cls, section.cls)
    ]
    return max(same, key=lambda cls: len(cls.mro()))


def value_problems(data: Mapping[str, typing.Any], sections: Sequence[Section]) -> list[str]:
    """Each value of ``data`` (which the schema accepts) that its trait refuses, and why.

    The check is the trait's own validation, on an object of the class the hub makes (made
    without ``__init__``: defaults only, nothing started): the one the value meets as the
    hub loads it, so what passes here passes there.
    """
    problems = []
    for section in sections:
        values = data.get(section.name) or {}
        cls = configured_class(section, sections)
        holder = cls.__new__(cls)
        traits = cls.class_traits(config=True)
        for name, value in values.items():
            try:
                traits[name]._validate(holder, copy.deepcopy(value))
            except (TraitError, TypeError, ValueError) as e:
                problems.append(f"key '{section.name}.{name}': {e}")
    return problems


def validate(data: Mapping[str, typing.Any], source: Path, table: SectionTable) -> None:
    """Raise ConfigError naming every bad key of ``data``, read from ``source``: keys and
    types by the schema, then each value as the hub will take it."""
    try:
        backend = backend_of(data, table)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    sections = table.sections(backend)
    schema = build_schema(sections)
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    problems = [describe(e) for e in errors] or value_problems(data, sections)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"{source}: invalid configuration:\n{lines}")


def to_config(data: Mapping[str, typing.Any], table: SectionTable) -> Config:
    """Map a validated labfleet.yaml mapping onto a traitlets Config."""
    classes = {s.name: s.cls for s in table.sections(backend_of(data, table))}
    config = Config()
    for section, values in data.items():
        if values:
            config[classes[section].__name__] = Config(values)
    return config


def load(path: Path, table: SectionTable) -> Config:
    """Read, validate and translate a labfleet.yaml."""
    data = read_file(path)
    validate(data, path, table)
    return to_config(data, table)


def find_config(given: str | None) -> tuple[Path, bool]:
    """The labfleet.yaml a command uses, as an absolute path, and whether it was named.

    In this order: ``given`` (``--config``, else ``$LABFLEET_CONFIG``, read by the command);
    ``./labfleet.yaml`` if it exists; ``/etc/labfleet/labfleet.yaml`` if it exists; else
    ``./labfleet.yaml`` (all defaults).
    """
    if given:
        return Path(given).absolute(), True
    here = Path(DEFAULT_FILE).absolute()
    return (SYSTEM_FILE if not here.exists() and SYSTEM_FILE.exists() else here), False


def default_registry() -> Path:
    """Where this account's labfleet lists the hubs it ran: the machine's for root, else in
    the account's ~/.local/state (``$LABFLEET_REGISTRY``, read by the command, overrides)."""
    if os.geteuid() == 0:
        return REGISTRY
    return Path.home() / ".local" / "state" / "labfleet" / "hubs.json"

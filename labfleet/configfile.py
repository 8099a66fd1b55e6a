"""Schema-checked edits of labfleet.yaml (`labfleet config set|unset|show|validate|keys`)."""

from __future__ import annotations

import typing
from pathlib import Path

import yaml

from . import settings


def split_key(key: str) -> tuple[str, str]:
    section, dot, name = key.partition(".")
    if not dot or not section or not name:
        raise settings.ConfigError(
            f"key {key!r} must be SECTION.NAME, e.g. labfleet.backend or hub.bind_url"
        )
    return section, name


def read(path: Path) -> dict[str, typing.Any]:
    return settings.read_file(path) if path.exists() else {}


def write(path: Path, data: dict[str, typing.Any], table: settings.SectionTable) -> None:
    """Validate ``data`` as a whole, then replace the file with it."""
    settings.validate(data, path, table)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=True, default_flow_style=False))
    tmp.replace(path)


def set_value(path: Path, key: str, raw: str, table: settings.SectionTable) -> typing.Any:
    """Set ``key`` to ``raw`` read as a YAML value (``8001`` is a number, ``[a, b]`` a list)."""
    section, name = split_key(key)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise settings.ConfigError(f"value {raw!r} is not valid YAML: {e}") from e
    data = read(path)
    data.setdefault(section, {})[name] = value
    write(path, data, table)
    return value


def unset_value(path: Path, key: str, table: settings.SectionTable) -> None:
    section, name = split_key(key)
    data = read(path)
    if name not in (data.get(section) or {}):
        raise settings.ConfigError(f"{path}: key {key!r} is not set")
    del data[section][name]
    if not data[section]:
        del data[section]
    write(path, data, table)


def keys(sections: typing.Sequence[settings.Section]) -> list[tuple[str, str]]:
    """Every settable key and its help text, with the given sections."""
    schema = settings.build_schema(sections)
    return [
        (f"{section}.{name}", next(iter(spec["description"].splitlines()), ""))
        for section, props in schema["properties"].items()
        for name, spec in sorted(props["properties"].items())
    ]

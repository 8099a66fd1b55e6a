"""Schema-checked edits of labfleet.yaml (`labfleet config set|unset|show|validate|keys`)."""

from __future__ import annotations

import os
import stat
import typing
from pathlib import Path

import yaml

from . import settings
from .settings_report import URL_PASSWORD, is_secret


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
    """Validate ``data`` as a whole, then replace the file with it, readable by its owner only
    (it may hold secrets: the proxy's token, a database password)."""
    settings.validate(data, path, table)
    tmp = path.with_name(f".{path.name}.tmp")
    write_private(tmp, yaml.safe_dump(data, sort_keys=True, default_flow_style=False))
    tmp.replace(path)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (an existing file too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)


def secret_keys(data: typing.Any, where: str = "") -> list[str]:
    """The keys of a labfleet.yaml mapping that hold a secret (a token, a URL's password)."""
    if isinstance(data, dict):
        found = []
        for key, value in data.items():
            name = f"{where}.{key}" if where else str(key)
            if is_secret(str(key)) and value not in (None, "", [], {}, True, False):
                found.append(name)
            else:
                found += secret_keys(value, name)
        return found
    if isinstance(data, list):
        return [key for item in data for key in secret_keys(item, where)]
    if isinstance(data, str) and URL_PASSWORD.search(data):
        return [where]
    return []


def readable_secrets(path: Path) -> str | None:
    """Why ``path`` is unsafe: it holds secrets and other accounts can read it (or None)."""
    if not path.exists() or not path.stat().st_mode & 0o077:
        return None
    try:
        found = secret_keys(read(path))
    except settings.ConfigError:
        return None
    if not found:
        return None
    return (
        f"{path} holds secrets ({', '.join(found)}) and other accounts can read it "
        f"(mode {stat.filemode(path.stat().st_mode)})"
    )


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


# settings that a server takes at its start: a running one keeps what it started with
SERVER_SECTIONS = {"spawner", "groups", "local", "docker", "gpu"}
SERVER_KEYS = {
    "labfleet.volumes",
    "branding.lab_name",
    "branding.lab_logo",
    "branding.lab_favicon",
    "branding.lab_news",
}


def what_it_needs(key: str) -> str:
    """What a change of ``key`` needs before it applies, in words for the operator."""
    section, _ = split_key(key)
    if section in SERVER_SECTIONS or key in SERVER_KEYS:
        return (
            "Applies once the hub restarts (servers keep running), to each server at its "
            "next start: running servers keep the old value until they are restarted."
        )
    return "Applies once the hub restarts: labfleet up again (servers keep running)."

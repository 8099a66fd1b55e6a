"""The Zero to JupyterHub chart's values for a labfleet hub, built from labfleet.yaml; pure.

The hub pod runs ``labfleet up`` with the chart's own ``jupyterhub_config.py`` loaded first
and labfleet.yaml (shipped in ``hub.extraFiles``, so in the chart's Secret) loaded over it.
:func:`hub_file` makes that labfleet.yaml from the operator's: what the chart owns there
(addresses, the proxy, the database, the data directory) is left out or moved into values.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..profiles import Profile

CHART = Path(__file__).parent / "chart"
# where the chart mounts its configuration in the hub pod, and where labfleet.yaml goes
CHART_CONFIG = "/usr/local/etc/jupyterhub/jupyterhub_config.py"
HUB_FILE = "/usr/local/etc/labfleet/labfleet.yaml"
# the hub's data directory in its pod (its image's working directory is /srv/jupyterhub)
DATA_DIR = "/srv/jupyterhub/labfleet-data"
# the hub reaches users' servers through the proxy (notifications): its public service
PROXY_PUBLIC = "http://proxy-public:80"
SPAWNER = "labfleet.backends.kubernetes.LabKubeSpawner"
AUTHENTICATOR = "labfleet.auth.authenticator.LabFleetAuthenticator"
POSTGRES_EXAMPLE = "postgresql://labfleet@labfleet-postgresql:5432/labfleet"
# what the chart sets in the hub pod, by labfleet.yaml section: left out of the hub's file
CHART_OWNED = {
    "labfleet": {"backend", "data_dir", "registry", "jupyterhub_config_files"},
    "hub": {"bind_url", "hub_bind_url", "hub_connect_url", "hub_ip", "hub_port", "ip",
            "port", "db_url", "cookie_secret", "cookie_secret_file", "cleanup_servers",
            "base_url", "spawner_class"},
}  # fmt: skip
# sections of the local and docker backends: their servers, and Caddy (the chart has its proxy)
OTHER_BACKENDS = ("local", "docker", "proxy")


def split_image(reference: str) -> tuple[str, str]:
    """``registry:5000/name:tag`` -> (``registry:5000/name``, ``tag``); no tag: ``latest``."""
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:
        return reference, "latest"
    return name, tag


def image_values(reference: str) -> dict[str, str]:
    name, tag = split_image(reference)
    return {"name": name, "tag": tag}


def hub_file(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """labfleet.yaml as the hub pod loads it, and the keys of ``data`` left out of it."""
    left_out = []
    hub: dict[str, Any] = {}
    for section, values in data.items():
        if section in OTHER_BACKENDS:
            left_out.append(section)
            continue
        owned = CHART_OWNED.get(section, set())
        kept = {k: v for k, v in (values or {}).items() if k not in owned}
        left_out += [f"{section}.{k}" for k in (values or {}) if k in owned]
        if kept:
            hub[section] = kept
    hub["labfleet"] = {
        **hub.get("labfleet", {}),
        "backend": "kubernetes",
        "data_dir": DATA_DIR,
        "registry": f"{DATA_DIR}/hubs.json",
    }
    hub["hub"] = {**hub.get("hub", {}), "bind_url": PROXY_PUBLIC}
    return hub, left_out


def make_profile_list(
    profiles: Sequence[Profile], *, image: str, node_selectors: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """KubeSpawner's profile_list for labfleet's environments (the first is the default).

    Every override names its image, so that a server started from another environment
    before never keeps that one's image.
    """
    listed = []
    for index, profile in enumerate(profiles):
        override: dict[str, Any] = {"image": profile.image or image}
        if profile.mem_limit:
            override["mem_limit"] = profile.mem_limit
        if profile.cpu_limit:
            override["cpu_limit"] = profile.cpu_limit
        if node_selectors.get(profile.name):
            override["node_selector"] = dict(node_selectors[profile.name])
        listed.append(
            {
                "display_name": profile.display_name,
                "description": profile.description,
                "slug": profile.name,
                "default": index == 0,
                "kubespawner_override": override,
            }
        )
    return listed


def make_values(
    *,
    hub_image: str,
    user_image: str,
    hub_file_text: str,
    db_url: str | None,
    home_mount: str,
    profile_list: Sequence[Mapping[str, Any]],
    prepull: Sequence[str],
    base_url: str | None = None,
    storage_capacity: str | None = None,
    storage_class: str | None = None,
) -> dict[str, Any]:
    """The chart's values for a labfleet hub (merged over the chart's defaults by helm)."""
    hub: dict[str, Any] = {
        "image": image_values(hub_image),
        "args": ["labfleet", "up", "--config", HUB_FILE, "--jupyterhub-config", CHART_CONFIG],
        "config": {"JupyterHub": {"authenticator_class": AUTHENTICATOR, "spawner_class": SPAWNER}},
        "db": {"type": "postgres", "url": db_url or POSTGRES_EXAMPLE},
        "extraFiles": {"labfleet-yaml": {"mountPath": HUB_FILE, "stringData": hub_file_text}},
    }
    if base_url:
        hub["baseUrl"] = base_url
    storage: dict[str, Any] = {"type": "dynamic", "homeMountPath": home_mount}
    if storage_capacity:
        storage["capacity"] = storage_capacity
    if storage_class:
        storage["dynamic"] = {"storageClass": storage_class}
    singleuser: dict[str, Any] = {"image": image_values(user_image), "storage": storage}
    if profile_list:
        singleuser["profileList"] = [dict(p) for p in profile_list]
    extra_images = {
        f"labfleet-{index}": image_values(image)
        for index, image in enumerate(dict.fromkeys(i for i in prepull if i != user_image))
    }
    return {
        "hub": hub,
        "singleuser": singleuser,
        # labfleet's own culler runs in the hub pod (labfleet.yaml's culling section): it
        # honours the users' extensions, which the chart's culler would not know of
        "cull": {"enabled": False},
        "prePuller": {"extraImages": extra_images},
    }


def notes(*, left_out: Sequence[str], db_url: str | None) -> list[str]:
    """What the operator must know about the values made from their labfleet.yaml."""
    found = []
    if not db_url or not db_url.startswith("postgres"):
        was = (
            f"labfleet.yaml has hub.db_url {db_url}"
            if db_url
            else "labfleet.yaml has no hub.db_url"
        )
        found.append(
            f"{was}: SQLite does not survive the hub pod. hub.db.url is an example; set it "
            "(and hub.db.password) to your PostgreSQL database."
        )
    if left_out:
        found.append(
            f"left out of the hub's labfleet.yaml (the chart sets them): {', '.join(left_out)}"
        )
    return found


class _Dumper(yaml.SafeDumper):
    """YAML with multi-line text (the hub's labfleet.yaml) as a literal block."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


def dump(values: Mapping[str, Any]) -> str:
    """``values`` as the text of a values.yaml."""
    return yaml.dump(dict(values), Dumper=_Dumper, sort_keys=False)


def merged(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` over ``defaults`` as helm merges them (mappings deeply; null removes a key)."""
    result = copy.deepcopy(dict(defaults))
    for key, value in values.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def chart_defaults(chart: Path = CHART) -> dict[str, Any]:
    return yaml.safe_load((chart / "values.yaml").read_text())


def chart_schema(chart: Path = CHART) -> dict[str, Any]:
    return json.loads((chart / "values.schema.json").read_text())


def problems(
    values: Mapping[str, Any], defaults: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[str]:
    """What the chart's schema refuses in ``values`` merged over ``defaults``, naming each key."""
    validator = jsonschema.Draft7Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(merged(defaults, values)), key=lambda e: e.path):
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        found.append(f"{key}: {error.message}")
    return found

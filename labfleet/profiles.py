"""The environments users choose their server from (the ``environments`` section of
labfleet.yaml), and the links that start one and open a notebook.

Each environment has a name, a display name and a description, says whether it uses GPUs,
may set memory and CPU limits, and names what runs the server: an ``image`` on the docker
backend, a ``python`` (an interpreter with JupyterLab and labfleet installed) on the
local backend. The spawn page offers them; ``/hub/spawn?opt-env=NAME`` (JupyterHub's
``opt-`` arguments) and ``/hub/tmplogin?env=NAME&notebook=PATH`` start one.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from traitlets import Bunch, Dict, List, TraitError, validate
from traitlets.config import Configurable

from .traitlets import Cpus, memory_limit

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# an environment's limits, checked by the traits of the spawner's own
LIMITS = {"mem_limit": memory_limit(), "cpu_limit": Cpus()}
KEYS = {"name", "display_name", "description", "gpu", "mem_limit", "cpu_limit", "image", "python"}


@dataclass(frozen=True)
class Profile:
    """One environment users may choose."""

    name: str
    display_name: str
    description: str = ""
    gpu: bool = False
    mem_limit: str | None = None
    cpu_limit: float | None = None
    image: str | None = None
    python: str | None = None


def parse_profile(entry: Any) -> Profile:
    """A ``choices`` entry of labfleet.yaml; ValueError saying what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("each environment is a mapping with at least name and display_name")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"name {name!r}: lower-case letters, digits, - and _, at most 63")
    for key, trait in LIMITS.items():  # checked as the spawner takes them
        if entry.get(key) is not None:
            try:
                trait.validate(None, entry[key])
            except TraitError as e:
                raise ValueError(f"{key} {e}") from None
    python = entry.get("python")
    if python is not None and not (isinstance(python, str) and posixpath.isabs(python)):
        raise ValueError(f"python {python!r} is not an absolute path, such as /opt/py/bin/python")
    return Profile(
        name=name,
        display_name=str(entry.get("display_name") or name),
        description=str(entry.get("description") or ""),
        gpu=bool(entry.get("gpu", False)),
        mem_limit=entry.get("mem_limit"),
        cpu_limit=float(entry["cpu_limit"]) if entry.get("cpu_limit") is not None else None,
        image=entry.get("image"),
        python=entry.get("python"),
    )


def problems(choices: list[Any]) -> list[str]:
    """What is wrong with the environments ``choices``, each naming its place."""
    found, names = [], set()
    for index, entry in enumerate(choices):
        try:
            profile = parse_profile(entry)
        except ValueError as e:
            found.append(f"[{index}] {e}")
            continue
        if profile.name in names:
            found.append(f"[{index}] the name {profile.name} twice")
        names.add(profile.name)
    return found


class Environments(Configurable):
    """The environments of the spawn page and of links."""

    choices = List(
        Dict(),
        help="""The environments users choose from, the first being the default: each
        {name, display_name, description, gpu (true: it uses the GPUs, for members of
        groups that grant them), mem_limit, cpu_limit, image (docker backend), python
        (local backend: an interpreter with JupyterLab and labfleet)}. Empty: one
        environment, the backend's own.""",
    ).tag(config=True)

    @validate("choices")
    def _check_choices(self, proposal: Bunch) -> list[dict]:
        # labfleet.yaml's check (labfleet config set, validate, doctor, the hub's start)
        found = problems(proposal.value)
        if found:
            raise TraitError("; ".join(found))
        return proposal.value

    @property
    def profiles(self) -> list[Profile]:
        return [parse_profile(entry) for entry in self.choices]

    def find(self, name: str | None) -> Profile | None:
        """The environment ``name`` (the default if None; None if there are none);
        ValueError naming the allowed ones."""
        profiles = self.profiles
        if not profiles:
            if name:
                raise ValueError(f"There is no environment {name!r}: this hub offers none")
            return None
        if not name:
            return profiles[0]
        for profile in profiles:
            if profile.name == name:
                return profile
        allowed = ", ".join(f"{p.name} ({p.display_name})" for p in profiles)
        raise ValueError(f"There is no environment {name!r}. Allowed: {allowed}")

    def form(self, chosen: str | None = None) -> str:
        """The spawn page's choice of environment (empty without choices)."""
        profiles = self.profiles
        if not profiles:
            return ""
        chosen = chosen or profiles[0].name
        items = []
        for p in profiles:
            checked = " checked" if p.name == chosen else ""
            gpu = ' <span class="badge text-bg-success">GPU</span>' if p.gpu else ""
            items.append(
                f'<div class="form-check"><input class="form-check-input" type="radio" '
                f'name="env" id="lf-env-{p.name}" value="{p.name}"{checked}>'
                f'<label class="form-check-label" for="lf-env-{p.name}"><strong>'
                f"{html.escape(p.display_name)}</strong>{gpu}"
                f'<span class="d-block small text-body-secondary">{html.escape(p.description)}'
                "</span></label></div>"
            )
        return (
            '<fieldset id="labfleet-environments"><legend>Environment</legend>'
            + "".join(items)
            + "</fieldset>"
        )


def notebook_path(path: str) -> str:
    """A notebook path of a link, inside the home; ValueError if it would escape it."""
    if "\\" in path or "\0" in path or path.startswith("/"):
        raise ValueError(f"The notebook path {path!r} must be relative to your home")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or normal in ("", "."):
        raise ValueError(f"The notebook path {path!r} leaves your home")
    return normal

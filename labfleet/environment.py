"""Environment variables from groups and users' own: names, checks and the user's stored set.

Names that JupyterHub, the spawners or labfleet set for a server are reserved: neither a
group nor a user may set them, so a variable never breaks the server or its access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from .db.models import UserEnvironment

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_NAME_LENGTH = 128
MAX_VALUE_LENGTH = 4096
MAX_VARIABLES = 100

# prefixes of the names JupyterHub (JUPYTERHUB_*, JPY_*), labfleet and the NVIDIA container
# runtime (NVIDIA_VISIBLE_DEVICES would hand out GPUs) set or read, and Jupyter's own
# (JUPYTER_CONFIG_DIR, JUPYTER_PATH: a user's own configuration, which servers do not load)
RESERVED_PREFIXES = ("JUPYTERHUB_", "JPY_", "LABFLEET_", "NVIDIA_", "JUPYTER_")
RESERVED_NAMES = frozenset(
    {
        # the account the server runs as (local backend) and its shell
        "HOME", "USER", "LOGNAME", "SHELL", "PWD",
        # JupyterHub's Spawner.env_keep: passed from the hub's own environment
        "PATH", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "LANG", "LC_ALL",
        # JupyterHub's Spawner.get_env: the limits, from the groups' cpu_limit and mem_limit
        "MEM_LIMIT", "MEM_GUARANTEE", "CPU_LIMIT", "CPU_GUARANTEE",
        # GPUs are granted by groups only
        "CUDA_VISIBLE_DEVICES",
    }
)  # fmt: skip


def is_reserved(name: str) -> bool:
    return name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES)


def reserved_description() -> dict[str, list[str]]:
    """The reserved names and prefixes, as the API and pages show them."""
    return {"names": sorted(RESERVED_NAMES), "prefixes": [f"{p}*" for p in RESERVED_PREFIXES]}


def check(variables: object) -> tuple[dict[str, str], list[str]]:
    """``variables`` as a name -> text mapping, and every problem found in it.

    Numbers become text (YAML reads ``PORT: 8080`` as a number); anything else is refused.
    """
    if not isinstance(variables, Mapping):
        return {}, ["must be a mapping of NAME: value"]
    problems = []
    if len(variables) > MAX_VARIABLES:
        problems.append(f"at most {MAX_VARIABLES} variables")
    clean = {}
    reserved = []
    for name, value in variables.items():
        if not isinstance(name, str) or not NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
            problems.append(
                f"{name!r} is not a variable name (letters, digits and _, not starting with "
                f"a digit, at most {MAX_NAME_LENGTH} characters)"
            )
        elif is_reserved(name):
            reserved.append(name)
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problems.append(f"{name}: the value must be text, not {type(value).__name__}")
        elif "\0" in str(value) or len(str(value)) > MAX_VALUE_LENGTH:
            problems.append(
                f"{name}: the value must be at most {MAX_VALUE_LENGTH} characters, no NUL"
            )
        else:
            clean[name] = str(value)
    if reserved:
        listed = reserved_description()
        problems.append(
            f"reserved names: {', '.join(sorted(reserved))} (labfleet or JupyterHub set them). "
            f"Reserved: {', '.join(listed['names'])} and every name starting with "
            f"{', '.join(listed['prefixes'])}"
        )
    return clean, problems


def load(db: Session, user_id: int) -> dict[str, str]:
    """The variables a user keeps for their servers ({} when none)."""
    row = db.get(UserEnvironment, user_id)
    return dict(row.variables) if row else {}


def store(db: Session, user_id: int, variables: Mapping[str, str]) -> None:
    """Replace the variables a user keeps, and commit."""
    row = db.get(UserEnvironment, user_id) or UserEnvironment(user_id=user_id)
    row.variables = dict(variables)
    row.updated = datetime.now(timezone.utc)
    db.add(row)
    db.commit()

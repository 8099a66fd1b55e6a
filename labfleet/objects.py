"""Pure builders: names of the things labfleet creates for a hub user.

Every user name passes through :func:`safe_name` before it reaches a path, a
system account, a Docker name or a Kubernetes name.
"""

from __future__ import annotations

import hashlib
import string

from escapism import escape

SAFE_CHARS = frozenset(string.ascii_lowercase + string.digits)
ESCAPE_CHAR = "-"
# useradd refuses longer names; Docker and Kubernetes names are longer, so this is the bound
MAX_ACCOUNT_LENGTH = 32


def safe_name(username: str) -> str:
    """An injective, lower-case ``[a-z0-9-]`` form of ``username``.

    ``o.brien`` becomes ``o-2ebrien``; the escape character is itself escaped,
    so two different user names never share a safe name. Escapes are fixed-length hex,
    so lower-casing their digits keeps that true.
    """
    return escape(username, safe=SAFE_CHARS, escape_char=ESCAPE_CHAR).lower()


def bounded(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` characters, keeping it unique with a hash suffix."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - len(digest) - 1]}-{digest}"


def system_account_name(prefix: str, username: str) -> str:
    """The system account that runs ``username``'s server on the local backend."""
    return bounded(f"{prefix}{safe_name(username)}", MAX_ACCOUNT_LENGTH)


def render_name(template: str, username: str, **fields: str) -> str:
    """Fill a name template such as ``labfleet-{username}-{volume}``.

    ``{username}`` is the escaped user name and ``{raw_username}`` the original.
    """
    return template.format(username=safe_name(username), raw_username=username, **fields)

"""E-mail addresses where user names are expected: names that look like one, and the name
an address gives when an admin asks for names from e-mails."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# why a name that looks like an address waits for the caller's confirmation
UNCONFIRMED = (
    "looks like an e-mail address: people type their user name at every login; confirm to "
    "use it as it is"
)


def looks_like_email(name: str) -> bool:
    """Whether ``name`` reads as an e-mail address (``someone@example.org``)."""
    return EMAIL.fullmatch(name) is not None


def local_part(address: str) -> str:
    """The part of an e-mail address before ``@`` ("" if it holds no ``@``)."""
    local, at, _ = address.strip().rpartition("@")
    return local.strip() if at else ""

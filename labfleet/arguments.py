"""Query arguments read the same way by every route and page: checked, with a clear message."""

from __future__ import annotations

import re

MAX_OFFSET = 10**9  # how far a page may start
DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits only: "²".isdigit() is True


def whole_number(name: str, text: str, low: int, high: int) -> int:
    """``text`` as a whole number from ``low`` to ``high``; ValueError saying so otherwise."""
    if not DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def row_id(text: str) -> int | None:
    """A record's id from a path (None: no record can have it, e.g. past a 64-bit integer)."""
    return int(text) if DIGITS.fullmatch(text) else None

"""Roster files: one user a line, ``username``, ``username:password``, either with ``,group``.

Blank lines and lines starting with ``#`` are skipped. The text after the last comma is
the group, so a password cannot hold a comma. Names are normalized as at login; a line
with a bad name, an empty part, a weak password or a name seen before is rejected with
its reason, and the other lines still count. Passwords never appear in what is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """A good line: the normalized name, the password (None: generate one), the group."""

    line: int
    username: str
    password: str | None
    group: str | None


@dataclass(frozen=True)
class Rejected:
    """A line that was not applied, shown without its password, and why."""

    line: int
    text: str
    reason: str

    def to_json(self) -> dict:
        return {"line": self.line, "text": self.text, "reason": self.reason}


def masked(username: str, password: str | None, group: str | None) -> str:
    return (
        username
        + (":***" if password is not None else "")
        + (f",{group}" if group is not None else "")
    )


def parse(
    text: str,
    normalize: Callable[[str], str],
    username_problem: Callable[[str], str | None],
    password_problem: Callable[[str, str], str | None],
) -> tuple[list[Entry], list[Rejected]]:
    """The good lines of a roster and the rejected ones, both in file order."""
    entries: list[Entry] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        person, comma, group = line.rpartition(",") if "," in line else (line, "", "")
        name, colon, password = person.partition(":")
        name, password, group = name.strip(), password.strip(), group.strip()
        username = normalize(name) if name else ""
        if not username:
            reason = "no user name"
        elif problem := username_problem(username):
            reason = problem
        elif colon and not password:
            reason = "empty password (leave out the ':' to have one generated)"
        elif comma and not group:
            reason = "empty group (leave out the ',' for no group)"
        elif username in seen:
            reason = f"{username} is already on line {seen[username]}"
        elif colon and (problem := password_problem(username, password)):
            reason = problem
        else:
            reason = None
        if reason:
            shown = masked(name, password if colon else None, group if comma else None)
            rejected.append(Rejected(number, shown, reason))
        else:
            seen[username] = number
            entries.append(Entry(number, username, password if colon else None, group or None))
    return entries, rejected

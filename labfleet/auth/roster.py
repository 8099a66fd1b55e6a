"""Roster files, as typed by hand or exported from a spreadsheet (CSV).

Typed: one user a line, ``username`` or ``username:password``, then the user's groups,
comma-separated (``ada:her-password,physics,lab-a``). Exported: a first row naming the
columns (``username``, and any of ``password``, ``group``, ``groups``), then one user a row;
an empty password cell means "generate one". Either way fields may be quoted (a quoted
password may hold a comma), a group cell may hold several groups separated by ``;``,
empty group cells are no group, and blank lines and lines starting with ``#`` are skipped.

Names are normalized as at login; a line with a bad name or group, an empty password, a
weak password or a name seen before is rejected with its reason, and the other lines
still count. Passwords never appear in what is reported.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

COLUMNS = ("username", "password", "group", "groups")
MAX_GROUP_NAME = 255


@dataclass(frozen=True)
class Entry:
    """A good line: the normalized name, the password (None: generate one), the groups."""

    line: int
    username: str
    password: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Rejected:
    """A line that was not applied, shown without its password, and why."""

    line: int
    text: str
    reason: str

    def to_json(self) -> dict:
        return {"line": self.line, "text": self.text, "reason": self.reason}


def masked(username: str, password: str | None, groups: tuple[str, ...]) -> str:
    """A line as the report shows it: ``name:***,group``."""
    return ",".join([username + (":***" if password is not None else ""), *groups])


def group_problem(name: str) -> str | None:
    """Why ``name`` cannot be a group a roster creates, or None."""
    if name != unicodedata.normalize("NFC", name) or not name.isprintable():
        return f"invalid group name {name!r}: printable characters in one Unicode form"
    if "/" in name or len(name) > MAX_GROUP_NAME:
        return f"invalid group name {name!r}: no '/', at most {MAX_GROUP_NAME} characters"
    return None


@dataclass(frozen=True)
class Row:
    """One line's fields: name, password (None: not given), groups."""

    name: str
    password: str | None
    groups: tuple[str, ...]


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, unquoted and stripped fields) of each line that is not blank or a comment."""
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, [field.strip() for field in next(csv.reader([line]))]


def header(fields: list[str]) -> dict[str, list[int]] | None:
    """The columns a header row names (name -> indexes), or None if ``fields`` are data."""
    names = [field.lower() for field in fields]
    if "username" not in names or not set(names) <= set(COLUMNS) | {""}:
        return None
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        columns.setdefault("group" if name == "groups" else name, []).append(index)
    return columns


def split_groups(cells: list[str]) -> tuple[str, ...]:
    return tuple(g.strip() for cell in cells for g in cell.split(";") if g.strip())


def typed_row(fields: list[str]) -> Row:
    name, colon, password = fields[0].partition(":")
    return Row(name.strip(), password.strip() if colon else None, split_groups(fields[1:]))


def exported_row(fields: list[str], columns: dict[str, list[int]]) -> Row:
    def cells(column: str) -> list[str]:
        return [fields[i] for i in columns.get(column, []) if i < len(fields)]

    password = "".join(cells("password"))
    return Row("".join(cells("username")), password or None, split_groups(cells("group")))


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
    columns = None
    for index, (number, fields) in enumerate(records(text)):
        if index == 0 and (columns := header(fields)) is not None:
            continue
        row = exported_row(fields, columns) if columns else typed_row(fields)
        username = normalize(row.name) if row.name else ""
        bad_group = next(filter(None, map(group_problem, row.groups)), None)
        if not username:
            reason = "no user name"
        elif problem := username_problem(username):
            reason = problem
        elif row.password == "":
            reason = "empty password (leave out the ':' to have one generated)"
        elif bad_group:
            reason = bad_group
        elif username in seen:
            reason = f"{username} is already on line {seen[username]}"
        elif row.password and (problem := password_problem(username, row.password)):
            reason = problem
        else:
            seen[username] = number
            groups = tuple(dict.fromkeys(row.groups))
            entries.append(Entry(number, username, row.password, groups))
            continue
        rejected.append(Rejected(number, masked(row.name, row.password, row.groups), reason))
    return entries, rejected

"""Rosters: the users a file lists, as typed by hand or exported by a spreadsheet or a
registrar's system (the file's encoding and delimiter: :mod:`.roster_files`).

Typed: one user a line, ``username`` or ``username:password``, then the user's groups
(``ada:her-password,physics,lab-a``). Exported: a first row naming the columns, in any
order, then one user a row. The columns known by name (any case, ``_ - .`` as spaces):

- the user name: ``username``, ``user name``, ``user``, ``login``, ``login name``;
- ``password`` (an empty cell: a generated password);
- ``group``, ``groups`` (a cell may name several, separated by ``;`` or ``,``);
- the e-mail address: ``email``, ``e-mail``, ``mail``, ``email address``;
- ``first name`` (``given name``), ``last name`` (``surname``, ``family name``),
  ``full name`` (``name``): shown beside the user name, never kept.

Other columns are ignored (and reported). A first row is a header when it names a user
name or e-mail column; otherwise the caller says so, and may give each column its role
(the mapping an admin picks on the People page; ``[]``: columns, none chosen yet, where
lines would be read as typed). A row without a user name gets one from
its e-mail address (the part before ``@``) only when asked (``names_from_emails``).

Fields may be quoted; empty group cells are no group; blank lines, lines starting with
``#``, rows of empty cells and Excel's ``sep=`` line are skipped. Names are normalized as
at login; a line with a bad name or group, an empty password, a weak password, a name seen
before or (unless ``email_names``) a name that looks like an e-mail address is rejected
with its reason, and the other lines still count. Passwords never appear in what is
reported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .emails import UNCONFIRMED, local_part, looks_like_email
from .roster_files import DELIMITERS, delimiter, sep_line

ROLES = ("username", "password", "group", "email", "first_name", "last_name", "full_name")
ONE_COLUMN = set(ROLES) - {"group"}  # roles that one column at most may have
HEADERS = {
    **dict.fromkeys(("username", "user name", "user", "login", "login name"), "username"),
    "password": "password",
    **dict.fromkeys(("group", "groups"), "group"),
    **dict.fromkeys(("email", "e mail", "mail", "email address", "e mail address"), "email"),
    **dict.fromkeys(("first name", "firstname", "given name"), "first_name"),
    **dict.fromkeys(("last name", "lastname", "surname", "family name"), "last_name"),
    **dict.fromkeys(("full name", "fullname", "name", "display name"), "full_name"),
}
MAX_COLUMNS = 100


class RosterError(ValueError):
    """A mapping of columns that cannot be used, in words."""


@dataclass(frozen=True)
class Entry:
    """A good line: the normalized name, the password (None: generate one), the groups, and
    the person's name as the file gives it (shown, never kept)."""

    line: int
    username: str
    password: str | None
    groups: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class Rejected:
    """A line that was not applied, shown without its password, and why."""

    line: int
    text: str
    reason: str
    looks_like_email: bool = False  # applied once the caller confirms such names

    def to_json(self) -> dict:
        answer = {"line": self.line, "text": self.text, "reason": self.reason}
        return {**answer, "looks_like_email": True} if self.looks_like_email else answer


@dataclass(frozen=True)
class Row:
    """One line's fields: name, password (None: not given), groups, e-mail, person's name."""

    name: str
    password: str | None
    groups: tuple[str, ...]
    email: str = ""
    person: str = ""


@dataclass(frozen=True)
class Layout:
    """How a roster's rows are read: the delimiter, the first row if it names the columns,
    each column's role ("": ignored; None for typed lines) and a sample of each column."""

    delimiter: str
    header: tuple[str, ...] | None
    roles: tuple[str, ...] | None
    samples: tuple[str, ...] = ()

    @property
    def ignored(self) -> list[str]:
        """The header's names of the columns no role reads."""
        if self.header is None or self.roles is None:
            return []
        return [name for name, role in zip(self.header, self.roles) if not role and name]

    def to_json(self) -> dict:
        columns = [
            {
                "label": (self.header[i] if self.header and i < len(self.header) else "")
                or f"column {i + 1}",
                "role": role,
                "sample": self.samples[i] if i < len(self.samples) else "",
            }
            for i, role in enumerate(self.roles or ())
        ]
        return {
            "delimiter": DELIMITERS[self.delimiter],
            "header": self.header is not None,
            "typed": self.roles is None,
            "columns": columns,
            "ignored": self.ignored,
        }


@dataclass
class Roster:
    """A parsed roster: how it was read, its good lines and rejected ones (in file order),
    and what keeps it from being read as meant (e.g. no column of user names)."""

    layout: Layout
    entries: list[Entry] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    problem: str | None = None

    @property
    def lines(self) -> int:
        return len(self.entries) + len(self.rejected)


def masked(username: str, password: str | None, groups: Sequence[str]) -> str:
    """A line as the report shows it: ``name:***,group``."""
    return ",".join([username + (":***" if password is not None else ""), *groups])


def header_name(cell: str) -> str:
    """A header cell as :data:`HEADERS` knows it: lower case, ``_ - .`` as one space."""
    return " ".join(re.split(r"[\s_.\-]+", cell.strip().lower())).strip()


def header_roles(cells: Sequence[str]) -> tuple[str, ...]:
    """Each column's role by its name in the header, the first of each single role."""
    roles: list[str] = []
    for cell in cells:
        role = HEADERS.get(header_name(cell), "")
        roles.append("" if role in ONE_COLUMN and role in roles else role)
    return tuple(roles)


def names_columns(cells: Sequence[str]) -> bool:
    """Whether a first row names the columns: it names a user name or e-mail column."""
    return bool({"username", "email"} & set(header_roles(cells)))


def checked_roles(columns: Sequence[object]) -> tuple[str, ...]:
    """A mapping given by the caller: one role (or "") per column; RosterError if not."""
    if len(columns) > MAX_COLUMNS or not all(c in ("", *ROLES) for c in columns):
        raise RosterError(
            f"columns: give at most {MAX_COLUMNS} roles, one per column, each one of "
            f"{', '.join(ROLES)} or \"\" (ignored)"
        )
    twice = sorted({c for c in columns if c in ONE_COLUMN and columns.count(c) > 1})
    if twice:
        raise RosterError(f"columns: one column at most may be {' or '.join(twice)}")
    return tuple(columns)  # type: ignore[arg-type]


def records(text: str, sep: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, unquoted and stripped fields) of each line that holds a row."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or (number == 1 and sep_line(raw) == sep):
            continue
        fields = [f.strip() for f in next(csv.reader([line], delimiter=sep))]
        if any(fields):
            yield number, fields


def split_groups(cells: Sequence[str]) -> tuple[str, ...]:
    return tuple(g.strip() for cell in cells for g in re.split("[;,]", cell) if g.strip())


def typed_row(fields: list[str]) -> Row:
    name, colon, password = fields[0].partition(":")
    return Row(name.strip(), password.strip() if colon else None, split_groups(fields[1:]))


def mapped_row(fields: list[str], roles: Sequence[str]) -> Row:
    def cells(role: str) -> list[str]:
        return [fields[i] for i, r in enumerate(roles) if r == role and i < len(fields)]

    def cell(role: str) -> str:
        return next(iter(cells(role)), "")

    person = cell("full_name") or " ".join(filter(None, (cell("first_name"), cell("last_name"))))
    return Row(
        cell("username"), cell("password") or None, split_groups(cells("group")),
        cell("email"), person,
    )  # fmt: skip


def layout_of(
    rows: list[tuple[int, list[str]]],
    sep: str,
    columns: Sequence[object] | None,
    header: bool | None,
) -> Layout:
    """How to read ``rows``: the caller's mapping and header flag, else what the first row
    says (a header that names the columns, or typed lines)."""
    first = rows[0][1] if rows else []
    has_header = names_columns(first) if header is None else header
    width = max((len(fields) for _, fields in rows), default=0)
    if columns is not None:
        roles = checked_roles(columns)
        roles += ("",) * (width - len(roles))
    elif has_header:
        roles = header_roles(first) + ("",) * (width - len(first))
    else:
        return Layout(sep, None, None)
    data = rows[1:] if has_header else rows
    samples = tuple(
        next((fields[i] for _, fields in data if i < len(fields) and fields[i]), "")
        for i in range(len(roles))
    )
    return Layout(sep, tuple(first) if has_header else None, roles, samples)


def missing_names(layout: Layout, names_from_emails: bool) -> str | None:
    """Why the rows of ``layout`` have no user names, or None."""
    roles = layout.roles
    if roles is None or "username" in roles or (names_from_emails and "email" in roles):
        return None
    also = ", or make the names from the e-mail addresses" if "email" in roles else ""
    return (
        "no column holds user names (named username, user or login): choose the column of "
        f"user names{also}"
    )


def parse(
    text: str,
    normalize: Callable[[str], str],
    username_problem: Callable[[str], str | None],
    password_problem: Callable[[str, str], str | None],
    group_problem: Callable[[str], str | None],
    *,
    columns: Sequence[object] | None = None,
    header: bool | None = None,
    names_from_emails: bool = False,
    email_names: bool = True,
) -> Roster:
    """The good lines of a roster and the rejected ones, and how it was read."""
    text = text.removeprefix("\ufeff")  # a byte order mark of text read elsewhere
    sep = delimiter(text)
    rows = list(records(text, sep))
    layout = layout_of(rows, sep, columns, header)
    roster = Roster(layout, problem=missing_names(layout, names_from_emails))
    seen: dict[str, int] = {}
    for number, fields in rows[1:] if layout.header is not None else rows:
        row = typed_row(fields) if layout.roles is None else mapped_row(fields, layout.roles)
        given = row.name or (local_part(row.email) if names_from_emails else "")
        username = normalize(given) if given else ""
        bad_group = next(filter(None, map(group_problem, row.groups)), None)
        email_like = False
        if not username:
            reason = "no user name" + (
                " (its e-mail address holds no @)" if names_from_emails and row.email else ""
            )
        elif problem := username_problem(username):
            reason = problem
        elif not email_names and looks_like_email(username):
            email_like = True
            reason = f"{username} {UNCONFIRMED}"
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
            roster.entries.append(Entry(number, username, row.password, groups, row.person))
            continue
        shown = masked(given or row.email or row.person, row.password, row.groups)
        roster.rejected.append(Rejected(number, shown, reason, email_like))
    return roster

"""Workshop events in the hub's database: checked on the way in, filtered on the way out."""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session, undefer

from ..arguments import row_id
from ..db.models import WorkshopEvent
from ..timestamps import iso, parse_time, utc
from . import notebooks

SAVE = "save"  # what a user's server sends at every notebook save
PAGE = 100
MAX_PAGE = 1000
FIELDS = ("user", "type", "path", "filename")
MAX_TYPE = 64
MAX_PATH = 4096  # characters of a path, as Linux allows
MAX_FILENAME = 255  # characters of its last part (the column's width)
MAX_NOTE = 1000  # characters of "omitted", and of the error kept from a notebook
MAX_SIZE = 2**31 - 1  # the size column's largest value


@dataclass(frozen=True)
class NewEvent:
    """An event as posted, checked."""

    type: str
    path: str
    timestamp: datetime
    content: str | None
    size: int | None
    omitted: str | None

    @property
    def filename(self) -> str:
        return posixpath.basename(self.path)


def _utf8(key: str, value: str) -> bytes:
    try:
        return value.encode()
    except UnicodeEncodeError:
        raise ValueError(f'"{key}" must be text (it holds a lone surrogate)') from None


def _string(body: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'"{key}" must be a non-empty string')
    _utf8(key, value)
    return value


def clean_path(path: str) -> str:
    """A path in a user's home as the Jupyter contents API names it; ValueError if it leaves."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or "\0" in path:
        raise ValueError(f"path {path!r} must name a file inside the home, without '..'")
    return "/".join(parts)


def parse_event(body: Mapping[str, Any], now: datetime, content_limit: int) -> NewEvent:
    """The event a POST carries, at the hub's time ``now``; ValueError saying what is wrong.

    A ``timestamp`` sent is ignored: the client's clock is not the hub's. Content above
    ``content_limit`` bytes is dropped, with the reason kept in ``omitted``; nothing else an
    event keeps is longer than a path.
    """
    unknown = set(body) - {"type", "path", "filename", "timestamp", "content", "size", "omitted"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    kind = _string(body, "type", SAVE)
    if len(kind) > MAX_TYPE:
        raise ValueError(f'"type" must be at most {MAX_TYPE} characters')
    path = clean_path(_string(body, "path"))
    if len(path) > MAX_PATH or len(posixpath.basename(path)) > MAX_FILENAME:
        raise ValueError(f'"path" must be at most {MAX_PATH} characters, its last part '
                         f"at most {MAX_FILENAME}")  # fmt: skip
    if "filename" in body and body["filename"] != posixpath.basename(path):
        raise ValueError('"filename" must be the last part of "path" (or left out)')
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError('"content" must be the notebook\'s JSON as a string')
    size = body.get("size")
    if size is not None and (
        not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SIZE
    ):
        raise ValueError(f'"size" must be a whole number of bytes, at most {MAX_SIZE}')
    omitted = body.get("omitted")
    if omitted is not None:
        if not isinstance(omitted, str) or len(omitted) > MAX_NOTE:
            raise ValueError(
                f'"omitted" must be a string of at most {MAX_NOTE} characters saying why '
                "there is no content"
            )
        _utf8("omitted", omitted)
    if content is not None:
        size = len(_utf8("content", content))
        if size > content_limit:
            omitted = f"the notebook is {size // 1024} KiB, over the hub's limit of " \
                f"{content_limit // 1024} KiB"  # fmt: skip
            content = None
    return NewEvent(kind, path, now, content, size, omitted)


def _note(text: str) -> str:
    """``text`` as a column keeps it: at most MAX_NOTE characters, lone surrogates replaced."""
    return text[:MAX_NOTE].encode(errors="replace").decode()


def record(db: Session, username: str, event: NewEvent, keep: int) -> WorkshopEvent:
    """Keep ``event``, with the error its notebook's last run ended in (if any); of the
    notebook's saves, the last ``keep`` keep their content."""
    failure = None
    if event.content is not None and event.filename.endswith(".ipynb"):
        try:
            failure = notebooks.last_failure(notebooks.parse(event.content))
        except ValueError:
            pass  # not a notebook after all: kept as it came
    row = WorkshopEvent(
        type=event.type, username=username, filename=event.filename, path=event.path,
        timestamp=event.timestamp, size=event.size, content=event.content, omitted=event.omitted,
        error=_note(f"{failure.name}: {failure.value}") if failure else None,
        error_cell=failure.index if failure else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    if row.content is not None:
        older = (
            db.query(WorkshopEvent.id)
            .filter(
                WorkshopEvent.username == username,
                WorkshopEvent.path == row.path,
                WorkshopEvent.content.is_not(None),
            )
            .order_by(WorkshopEvent.id.desc())
            .offset(keep)
        )
        db.query(WorkshopEvent).filter(WorkshopEvent.id.in_(older.scalar_subquery())).update(
            {"content": None, "omitted": f"pruned: the last {keep} saves keep their content"},
            synchronize_session="fetch",  # rows of the session see it too
        )
    db.commit()
    return row


@dataclass(frozen=True)
class Filters:
    """What a listing asks for: equal fields, a time range."""

    fields: Mapping[str, str]
    since: datetime | None = None
    until: datetime | None = None


def parse_filters(arguments: Mapping[str, str]) -> Filters:
    """Filters from query arguments; ValueError for a bad time."""
    fields = {k: arguments[k] for k in FIELDS if arguments.get(k)}
    since = arguments.get("since")
    until = arguments.get("until")
    return Filters(
        fields,
        parse_time("since", since) if since else None,
        parse_time("until", until) if until else None,
    )


COLUMNS = {"user": WorkshopEvent.username, "type": WorkshopEvent.type,
           "path": WorkshopEvent.path, "filename": WorkshopEvent.filename}  # fmt: skip


def query(db: Session, filters: Filters, users: Collection[str] | None, content: bool = False):
    """The events matching ``filters`` among ``users`` (None: everyone's), oldest first
    (``content``: with the notebooks, else without reading them)."""
    q = db.query(WorkshopEvent)
    if content:
        q = q.options(undefer(WorkshopEvent.content))
    if users is not None:
        q = q.filter(WorkshopEvent.username.in_(list(users)))
    for field, value in filters.fields.items():
        q = q.filter(COLUMNS[field] == value)
    if filters.since is not None:
        q = q.filter(WorkshopEvent.timestamp >= filters.since)
    if filters.until is not None:
        q = q.filter(WorkshopEvent.timestamp <= filters.until)
    return q.order_by(WorkshopEvent.timestamp, WorkshopEvent.id)


def latest(
    db: Session,
    users: Collection[str] | None = None,
    path: str | None = None,
    content: bool = False,
) -> list[WorkshopEvent]:
    """The last save of every (user, notebook) pair (of the notebook at ``path`` alone, when
    given), oldest first (``content``: with the notebooks, else without reading them)."""
    newest = db.query(func.max(WorkshopEvent.id)).filter(WorkshopEvent.type == SAVE)
    if users is not None:
        newest = newest.filter(WorkshopEvent.username.in_(list(users)))
    if path is not None:
        newest = newest.filter(WorkshopEvent.path == path)
    newest = newest.group_by(WorkshopEvent.username, WorkshopEvent.path)
    rows = db.query(WorkshopEvent)
    if content:
        rows = rows.options(undefer(WorkshopEvent.content))
    return (
        rows.filter(WorkshopEvent.id.in_(newest.scalar_subquery()))
        .order_by(WorkshopEvent.timestamp)
        .all()
    )


def previous_with_content(db: Session, row: WorkshopEvent) -> WorkshopEvent | None:
    """The save of the same notebook before ``row`` that carried content."""
    return (
        db.query(WorkshopEvent)
        .options(undefer(WorkshopEvent.content))
        .filter(
            WorkshopEvent.username == row.username,
            WorkshopEvent.path == row.path,
            WorkshopEvent.type == SAVE,
            WorkshopEvent.id < row.id,
            WorkshopEvent.content.is_not(None),
        )
        .order_by(WorkshopEvent.id.desc())
        .first()
    )


def find(db: Session, text: str) -> WorkshopEvent | None:
    """The event whose id is ``text`` (None: no such event)."""
    event_id = row_id(text)
    return None if event_id is None else db.get(WorkshopEvent, event_id)


def to_json(row: WorkshopEvent, content: bool = False) -> dict[str, Any]:
    """An event as the API shows it (``content``: with the notebook's JSON)."""
    stamp = utc(row.timestamp)
    data: dict[str, Any] = {
        "id": row.id, "type": row.type, "user": row.username, "filename": row.filename,
        "path": row.path, "timestamp": iso(stamp), "size": row.size,
        "has_content": row.has_content, "omitted": row.omitted,
        "error": row.error, "error_cell": row.error_cell,
    }  # fmt: skip
    if content:
        data["content"] = row.content
    return data

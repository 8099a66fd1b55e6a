"""What the instructor's pages show, from the events in the database."""

from __future__ import annotations

from typing import Any

from jupyterhub import orm
from sqlalchemy.orm import Session

from ..db.models import WorkshopEvent
from . import events, notebooks
from .config import Workshop
from .people import participants


def grid(db: Session, config: Workshop, running: set[str]) -> dict[str, Any]:
    """Participants x notebooks: each cell the last save; the stuck ones first in mind."""
    people: list[orm.User] = participants(db, config)
    names = [u.name for u in people]
    last = events.latest(db, names)
    paths = sorted({row.path for row in last})
    cells: dict[str, dict[str, Any]] = {name: {} for name in names}
    stuck = []
    for row in last:
        cells[row.username][row.path] = events.to_json(row)
        if row.error:
            stuck.append({"user": row.username, "path": row.path, "event": row.id,
                          "error": row.error, "timestamp": cells[row.username][row.path]["timestamp"]})  # fmt: skip
    return {
        "participants": [{"user": name, "running": name in running} for name in names],
        "notebooks": paths,
        "cells": cells,
        "stuck": sorted(stuck, key=lambda s: (s["user"], s["path"])),
    }


def notebook_view(db: Session, row: WorkshopEvent, config: Workshop) -> dict[str, Any]:
    """One save: its tail, what changed since the save before, the error its last run ended in."""
    view: dict[str, Any] = {"event": events.to_json(row), "tail": None, "changes": None,
                            "summary": None, "previous": None}  # fmt: skip
    if not row.has_content:
        return view
    try:
        notebook = notebooks.parse(row.content)
    except ValueError as e:
        view["problem"] = str(e)
        return view
    view["tail"] = notebooks.tail(notebook, config.tail_cells, config.tail_lines)
    before = events.previous_with_content(db, row)
    old = None
    if before is not None:
        view["previous"] = events.to_json(before)
        try:
            old = notebooks.parse(before.content or "")
        except ValueError:
            old = None
    changed = notebooks.changes(old, notebook)
    view["changes"] = changed
    view["summary"] = notebooks.summary(changed)
    return view


def tails(db: Session, config: Workshop, path: str) -> list[dict[str, Any]]:
    """Every participant's tail of the notebook at ``path`` (None for one who has not saved it)."""
    names = [u.name for u in participants(db, config)]
    last = {row.username: row for row in events.latest(db, names, path, content=True)}
    result = []
    for name in names:
        row = last.get(name)
        entry: dict[str, Any] = {"user": name, "event": None, "tail": None}
        if row is not None:
            entry["event"] = events.to_json(row)
            if row.has_content:
                try:
                    notebook = notebooks.parse(row.content)
                except ValueError:
                    notebook = None
                if notebook is not None:
                    entry["tail"] = notebooks.tail(notebook, config.tail_cells, config.tail_lines)
        result.append(entry)
    return result

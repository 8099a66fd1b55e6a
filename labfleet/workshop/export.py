"""The export: every participant's latest notebooks, as .ipynb and as HTML, in one zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable

from ..db.models import WorkshopEvent
from ..objects import safe_name


def folder_of(username: str) -> str:
    """The user's folder in the zip: the name, unless it could leave the zip's folder."""
    if username in (".", "..") or "/" in username or "\\" in username:
        return safe_name(username)
    return username


def export_zip(rows: Iterable[WorkshopEvent], html: Callable[[WorkshopEvent], str]) -> bytes:
    """A zip of ``user/path`` for each save with content, and ``user/path.html`` beside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            if row.content is None:
                continue
            name = f"{folder_of(row.username)}/{row.path}"
            archive.writestr(name, row.content)
            try:
                archive.writestr(f"{name.removesuffix('.ipynb')}.html", html(row))
            except ValueError as e:  # not a notebook nbconvert reads: the file alone, and why
                archive.writestr(f"{name}.not-rendered.txt", str(e))
    return buffer.getvalue()

"""The export: every participant's latest notebooks, as .ipynb and as HTML, in one zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping

from ..db.models import WorkshopEvent
from ..objects import safe_name


def folder_of(username: str) -> str:
    """The user's folder in the zip: the name, unless it could leave the zip's folder."""
    if username in (".", "..") or "/" in username or "\\" in username:
        return safe_name(username)
    return username


def export_zip(
    rows: Iterable[WorkshopEvent], pages: Mapping[int, str], problems: Mapping[int, str]
) -> bytes:
    """A zip of ``user/path`` for each save with content, and beside it ``user/path.html``
    (its page, by event id) or, for one nbconvert could not read, why (``.not-rendered.txt``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            if not row.has_content:
                continue
            name = f"{folder_of(row.username)}/{row.path}"
            archive.writestr(name, row.content)
            if row.id in pages:
                archive.writestr(f"{name.removesuffix('.ipynb')}.html", pages[row.id])
            else:
                archive.writestr(f"{name}.not-rendered.txt", problems.get(row.id, ""))
    return buffer.getvalue()

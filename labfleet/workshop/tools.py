"""What the workshop's handlers share: its settings, the live followers, rendered pages,
the hand-outs."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import blocking
from ..db.models import WorkshopEvent
from . import render
from .config import Workshop
from .handout import Handout
from .live import Live


@dataclass
class WorkshopTools:
    config: Workshop
    handout: Handout
    live: Live = field(default_factory=Live)
    rendered: render.Rendered = field(default_factory=render.Rendered)

    async def html(self, row: WorkshopEvent) -> str:
        """The sanitised HTML of a save (rendered once, then kept); ValueError if there is none."""
        page = self.rendered.get(row.id)
        if page is None:
            if not row.has_content:
                raise ValueError(f"the save has no content: {row.omitted or 'none was sent'}")
            page = await blocking.run(blocking.RENDERING, render.to_html, row.content, timeout=120)
            self.rendered.put(row.id, page)
        return page

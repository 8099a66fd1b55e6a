"""What the workshop's handlers share: its settings, the live followers, rendered pages,
the hand-outs, what each user's servers may still send, workshop mode turned on and off."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import blocking
from ..db.models import WorkshopEvent
from ..notify.delivery import Outcome
from . import mode, render
from .config import Workshop
from .handout import Handout
from .limits import EventBudget
from .live import Live

RENDER_SECONDS = 120


@dataclass
class WorkshopTools:
    config: Workshop
    handout: Handout
    # writes workshop.enabled into labfleet.yaml; ValueError saying why it cannot
    keep_enabled: Callable[[bool], None]
    live: Live = field(default_factory=Live)
    rendered: render.Rendered = field(default_factory=render.Rendered)
    budget: EventBudget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = EventBudget(self.config.events_per_minute, self.config.events_kb_per_minute)

    async def set_enabled(self, enabled: bool) -> list[Outcome]:
        """Turn workshop mode on or off: kept in labfleet.yaml (a restarted hub starts so),
        and told to every running server at once; ValueError if labfleet.yaml cannot keep it."""
        self.keep_enabled(enabled)
        self.config.enabled = enabled
        return await self.tell_mode()

    async def tell_mode(self) -> list[Outcome]:
        """Tell every running server workshop mode as it is now; one outcome per server."""
        handout = self.handout
        outcomes = await mode.tell(handout.broadcaster, self.config, handout.db)
        told = sum(o.delivered for o in outcomes)
        handout.log.info("Workshop mode (%s) told to %d of %d running servers",
                         "on" if self.config.enabled else "off", told, len(outcomes))  # fmt: skip
        for outcome in outcomes:
            if not outcome.delivered:
                handout.log.warning("Workshop mode not told to %s's server: %s",
                                    outcome.username, outcome.reason)  # fmt: skip
        return outcomes

    def start(self) -> None:
        """Once the hub runs: the servers it adopted learn the mode labfleet.yaml says now."""
        asyncio.ensure_future(self.tell_mode())

    async def html(self, row: WorkshopEvent) -> str:
        """The sanitised HTML of a save (rendered once, then kept); ValueError saying why there
        is none (no content, or a notebook that cannot be shown)."""
        page = self.rendered.get(row.id)
        if page is None:
            if not row.has_content:
                raise ValueError(f"the save has no content: {row.omitted or 'none was sent'}")
            try:
                page = await blocking.run(
                    blocking.RENDERING, render.to_html, row.content, timeout=RENDER_SECONDS
                )
            except TimeoutError:
                raise ValueError(
                    f"the notebook cannot be shown: rendering took over {RENDER_SECONDS} s"
                ) from None
            self.rendered.put(row.id, page)
        return page

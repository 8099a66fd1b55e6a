"""The audit log page for admins, filtered and paged like the audit API."""

from __future__ import annotations

from urllib.parse import urlencode

from tornado import web

from ..audit import reading
from ..authz import needs_scope
from ..scopes import ADMIN_USERS, AUDIT
from .base import LabFleetPageHandler


class AuditPage(LabFleetPageHandler):
    """The audit log, filtered by the query arguments the API takes."""

    @web.authenticated
    @needs_scope(AUDIT, ADMIN_USERS)
    async def get(self) -> None:
        error = None
        try:
            wanted = reading.parse_filter(lambda name: self.get_argument(name, None))
        except ValueError as e:
            error, wanted = str(e), reading.AuditFilter()
            self.set_status(400)
        events, total = reading.find(self.db, wanted)

        def page_url(offset: int) -> str:
            return f"?{urlencode(wanted.query_args(offset=max(offset, 0)))}"

        await self.render_page(
            "labfleet/audit.html",
            events=[reading.to_json(e) for e in events],
            total=total,
            wanted=wanted,
            error=error,
            actions=reading.action_choices(self.db),
            previous_url=page_url(wanted.offset - wanted.limit) if wanted.offset else None,
            next_url=page_url(wanted.offset + wanted.limit)
            if wanted.offset + wanted.limit < total
            else None,
        )


default_handlers = [(r"/labfleet/audit", AuditPage)]

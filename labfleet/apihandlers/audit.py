"""The audit log: who did what to whom and when, filtered and paged."""

from __future__ import annotations

from tornado import web

from ..audit import reading
from ..authz import needs_scope
from ..scopes import ADMIN_USERS, AUDIT
from .base import LabFleetAPIHandler


class AuditAPIHandler(LabFleetAPIHandler):
    """GET ?user=&action=&since=&until=&limit=&offset=: events newest first, and their total."""

    @needs_scope(AUDIT, ADMIN_USERS)
    async def get(self) -> None:
        try:
            wanted = reading.parse_filter(lambda name: self.get_argument(name, None))
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        events, total = reading.find(self.db, wanted)
        self.write(
            {
                "events": [reading.to_json(e) for e in events],
                "total": total,
                "offset": wanted.offset,
                "limit": wanted.limit,
            }
        )


default_handlers = [(r"/api/labfleet/audit", AuditAPIHandler)]

"""Broadcasts: send one now or at a time, list the history, read one's results, cancel."""

from __future__ import annotations

from datetime import datetime, timezone

from tornado import web

from .. import audit
from ..arguments import MAX_OFFSET, row_id, whole_number
from ..authz import needs_scope
from ..db.models import Broadcast
from ..notify import history, messages, recipients
from ..scopes import ADMIN_SERVERS, NOTIFY
from .base import LabFleetAPIHandler


def describe(spec: recipients.Recipients) -> str:
    """The recipients in the audit log's target column."""
    if spec.all:
        return "all running servers"
    parts = [f"group {g}" for g in spec.groups] + list(spec.users)
    return ", ".join(parts)


class NotificationsAPIHandler(LabFleetAPIHandler):
    """GET ?limit=&offset=: the history, newest first. POST: broadcast (or schedule) one."""

    @needs_scope(NOTIFY, ADMIN_SERVERS)
    async def get(self) -> None:
        try:
            limit = whole_number("limit", self.get_argument("limit", str(history.PAGE)), 1,
                                 history.MAX_PAGE)  # fmt: skip
            offset = whole_number("offset", self.get_argument("offset", "0"), 0, MAX_OFFSET)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        rows, total = history.page(self.db, limit, offset)
        self.write(
            {
                "broadcasts": [history.to_json(row) for row in rows],
                "total": total,
                "limit": limit,
                "offset": offset,
            }
        )

    @needs_scope(NOTIFY, ADMIN_SERVERS)
    async def post(self) -> None:
        body = self.json_object()
        now = datetime.now(timezone.utc)
        try:
            message = messages.parse_message(body)
            spec = recipients.parse_recipients(body.get("recipients"))
            recipients.check_known(self.db, spec)
            at = messages.parse_time(body.get("at"), now)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        broadcaster = self.labfleet.broadcaster
        actor = self.current_user.name
        row = history.create(
            self.db, actor=actor, message=message, recipients=spec, scheduled_for=at
        )
        if at is not None:
            broadcaster.schedule(row)
            audit.record(
                self.db, actor=actor, action="notification.schedule", target=describe(spec),
                broadcast=row.id, at=at.isoformat(),
            )  # fmt: skip
            self.set_status(202)
            self.write(history.to_json(row))
            return
        await broadcaster.send(row)
        audit.record(
            self.db, actor=actor, action="notification.broadcast", target=describe(spec),
            broadcast=row.id, delivered=row.delivered, failed=row.failed,
        )  # fmt: skip
        self.write(history.to_json(row, history.results(self.db, row.id)))


class NotificationAPIHandler(LabFleetAPIHandler):
    """GET: one broadcast with its result for every recipient. DELETE: cancel a scheduled one."""

    def broadcast(self, broadcast_id: str) -> Broadcast:
        row = None if (found := row_id(broadcast_id)) is None else self.db.get(Broadcast, found)
        if row is None:
            raise web.HTTPError(404, f"No broadcast {broadcast_id}")
        return row

    @needs_scope(NOTIFY, ADMIN_SERVERS)
    async def get(self, broadcast_id: str) -> None:
        row = self.broadcast(broadcast_id)
        self.write(history.to_json(row, history.results(self.db, row.id)))

    @needs_scope(NOTIFY, ADMIN_SERVERS)
    async def delete(self, broadcast_id: str) -> None:
        row = self.broadcast(broadcast_id)
        if row.status != "scheduled":
            raise web.HTTPError(
                409, f"Broadcast {row.id} is {row.status}: only a scheduled one can be cancelled"
            )
        self.labfleet.broadcaster.cancel(row)
        audit.record(
            self.db, actor=self.current_user.name, action="notification.cancel",
            target=describe(history.recipients_of(row)), broadcast=row.id,
        )  # fmt: skip
        self.write(history.to_json(row))


default_handlers = [
    (r"/api/labfleet/notifications", NotificationsAPIHandler),
    (r"/api/labfleet/notifications/([0-9]+)", NotificationAPIHandler),
]

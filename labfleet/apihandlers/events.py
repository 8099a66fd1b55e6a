"""Workshop events: servers post notebook saves; scripts post and read events with filters;
pages follow new ones live (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from tornado import web
from tornado.iostream import StreamClosedError

from ..arguments import MAX_OFFSET, whole_number
from ..authz import needs_scope, visible_users
from ..operations import OperationRefused
from ..scopes import ADMIN_SERVERS, ADMIN_USERS, EVENTS_READ, EVENTS_WRITE, WORKSHOP
from ..workshop import events
from .base import LabFleetAPIHandler

READERS = (EVENTS_READ, WORKSHOP, ADMIN_USERS)
KEEP_ALIVE = 15.0  # seconds between comments that keep a quiet stream open


class EventsHandler(LabFleetAPIHandler):
    """What the event routes share: recording one event."""

    def record(self, username: str) -> None:
        """Keep the event in the body for ``username`` (a ``user`` in it must be that one),
        within what ``username``'s servers may send in a minute (else 429)."""
        workshop = self.labfleet.workshop
        refused = workshop.budget.take(username, len(self.request.body))
        if refused is not None:
            reason, wait = refused
            raise OperationRefused(
                429, f"Too many events of {username}: {reason}; try again in {wait} s", wait
            )
        body = self.json_object()
        if body.pop("user", username) != username:
            raise web.HTTPError(
                403, f"This route records events of {username} only: POST events of another "
                "user to /hub/api/labfleet/users/{name}/events",
            )  # fmt: skip
        limit = workshop.config.content_limit_kb * 1024
        try:
            event = events.parse_event(body, datetime.now(timezone.utc), limit)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        row = events.record(self.db, username, event, workshop.config.keep_saves)
        shown = events.to_json(row)
        workshop.live.publish(shown)
        self.set_status(201)
        self.write(shown)


class EventsAPIHandler(EventsHandler):
    """GET ?user=&type=&path=&filename=&since=&until=&limit=&offset=: events, oldest first
    (a participant sees their own). POST: an event of the caller's own (a server's save)."""

    @needs_scope(*READERS, filtered=True)
    async def get(self) -> None:
        arguments = {k: self.get_argument(k) for k in self.request.arguments}
        try:
            filters = events.parse_filters(arguments)
            limit = whole_number("limit", arguments.get("limit", str(events.PAGE)), 1,
                                 events.MAX_PAGE)  # fmt: skip
            offset = whole_number("offset", arguments.get("offset", "0"), 0, MAX_OFFSET)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        content = self.get_argument("content", "") in ("1", "true")
        query = events.query(self.db, filters, visible_users(self, READERS), content)
        rows = query.offset(offset).limit(limit).all()
        self.write(
            {
                "events": [events.to_json(row, content=content) for row in rows],
                "total": query.count(),
                "limit": limit,
                "offset": offset,
            }
        )

    @needs_scope(EVENTS_WRITE, own=True)
    async def post(self) -> None:
        self.record(self.current_user.name)


class UserEventsAPIHandler(EventsHandler):
    """POST: an event of the user in the path."""

    @needs_scope(EVENTS_WRITE, ADMIN_SERVERS)
    async def post(self, user_name: str) -> None:
        self.record(self.target_user(user_name).name)


class EventStreamAPIHandler(LabFleetAPIHandler):
    """GET: server-sent events, one ``data:`` line (an event as JSON) per new event that the
    caller may see, until the page goes away."""

    @needs_scope(*READERS, filtered=True)
    async def get(self) -> None:
        live = self.labfleet.workshop.live
        follower = self.follower = live.follow(visible_users(self, READERS))
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        try:
            self.write(": following\n\n")
            await self.flush()
            while not follower.behind:  # else the page reconnects, and reads afresh
                try:
                    event = await asyncio.wait_for(follower.queue.get(), KEEP_ALIVE)
                except asyncio.TimeoutError:
                    self.write(": still here\n\n")
                else:
                    if event is None:  # the page went away
                        break
                    self.write(f"id: {event['id']}\ndata: {json.dumps(event)}\n\n")
                await self.flush()
        except StreamClosedError:
            pass
        finally:
            live.leave(follower)

    def on_connection_close(self) -> None:
        follower = getattr(self, "follower", None)
        if follower is not None and not follower.queue.full():
            follower.queue.put_nowait(None)  # the page went away: stop waiting for events


default_handlers = [
    (r"/api/labfleet/events", EventsAPIHandler),
    (r"/api/labfleet/events/stream", EventStreamAPIHandler),
    (r"/api/labfleet/users/([^/]+)/events", UserEventsAPIHandler),
]

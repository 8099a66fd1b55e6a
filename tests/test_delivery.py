"""The fan-out itself, against small HTTP servers on loopback: what each answer means."""

from __future__ import annotations

import asyncio
import json

from harness import free_port
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from labfleet.notify import tickets
from labfleet.notify.delivery import Target, deliver

KEY = b"k" * 32


class Ingest(RequestHandler):
    """A server's ingest route: 200 for a good ticket, as the user's server answers."""

    def post(self) -> None:
        problem = tickets.check(
            KEY, self.request.headers.get("Authorization", ""), self.request.path, self.request.body
        )
        self.set_status(403 if problem else 200)
        self.finish(json.dumps({"success": problem is None}))


class Hang(RequestHandler):
    async def post(self) -> None:
        await asyncio.sleep(30)


def test_each_failure_gets_its_reason():
    async def run() -> dict[str, str]:
        app = Application(
            [(rf"/user/ok/{tickets.INGEST}", Ingest), (r"/user/slow/.*", Hang),
             (rf"/user/forged/{tickets.INGEST}", Ingest)]
        )  # fmt: skip
        port = free_port()
        server = HTTPServer(app)
        server.listen(port, "127.0.0.1")
        closed = free_port()  # nothing listens there
        base = f"http://labfleet.invalid:{port}"
        targets = [
            Target("ok", f"{base}/user/ok/{tickets.INGEST}", KEY),
            Target("missing", f"{base}/user/missing/{tickets.INGEST}", KEY),
            Target("slow", f"{base}/user/slow/{tickets.INGEST}", KEY),
            Target("forged", f"{base}/user/forged/{tickets.INGEST}", b"x" * 32),
            Target("gone", f"http://labfleet.invalid:{closed}/user/gone/{tickets.INGEST}", KEY),
        ]
        # every host name reaches the proxy's address: here, the small server
        outcomes = await deliver(
            targets,
            b'{"message": "hi"}',
            proxy_address="127.0.0.1",
            concurrency=2,
            timeout=1,
            ticket_seconds=60,
        )
        server.stop()
        return {o.username: "delivered" if o.delivered else o.reason for o in outcomes}

    reasons = asyncio.run(run())
    assert reasons["ok"] == "delivered"
    assert reasons["missing"].startswith("extension missing")
    assert reasons["slow"].startswith("timed out")
    assert reasons["forged"].startswith("refused (HTTP 403)")
    assert reasons["gone"].startswith("refused: the proxy could not be reached")

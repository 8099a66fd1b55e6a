"""The fan-out: one notification to many servers at once, through the proxy.

Each server is reached at its own address on the proxy, the route its user's browser
takes (so what works for the user works here, subdomains and TLS included), with a
ticket that admits this one message to that one server (:mod:`.tickets`). At most
``concurrency`` requests are under way at once, each bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import Resolver
from tornado.simple_httpclient import HTTPTimeoutError

from . import tickets

NOT_RUNNING = "not running"


@dataclass(frozen=True)
class Target:
    """One recipient's server: its user, the ingest URL on the proxy and the server's key."""

    username: str
    url: str
    key: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient: delivered, or why not (in words), and how long it took."""

    username: str
    delivered: bool
    reason: str = ""
    seconds: float = 0.0


class ToProxy(Resolver):
    """Resolve every address to the proxy's: the public name is the proxy on this machine."""

    def initialize(self, address: str) -> None:  # tornado's Configurable: not __init__
        self.address = address

    async def resolve(self, host: str, port: int, family: int = socket.AF_UNSPEC):
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [(family, (self.address, port))]


def make_client(proxy_address: str, concurrency: int, ca_certs: str | None) -> AsyncHTTPClient:
    """An HTTP client of its own that sends every request to the proxy at ``proxy_address``."""
    return AsyncHTTPClient(
        force_instance=True,
        max_clients=concurrency,
        resolver=ToProxy(address=proxy_address),
        defaults={"ca_certs": ca_certs} if ca_certs else None,
    )


def failure(code: int, error: BaseException | None, timeout: float) -> str:
    """Why an answer (or none) means the message did not arrive, in an admin's words."""
    if isinstance(error, HTTPTimeoutError):
        return f"timed out: no answer within {timeout:g} s"
    if code == 599:
        return f"refused: the proxy could not be reached ({error})"
    if code == 404:
        return "extension missing: the server has no jupyterlab-notifications-extension"
    if code in (401, 403):
        return f"refused (HTTP {code}): the server did not accept the hub's ticket"
    if code in (424, 502, 503):
        return f"{NOT_RUNNING}: the server does not answer (HTTP {code})"
    return f"failed: the server answered HTTP {code}"


async def deliver(
    targets: Sequence[Target],
    body: bytes,
    *,
    client: AsyncHTTPClient,
    concurrency: int,
    timeout: float,
    ticket_seconds: int,
) -> list[Outcome]:
    """Post ``body`` to every target's ingest route; one outcome per target, in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> Outcome:
        async with gate:
            started = time.monotonic()
            path = urlsplit(target.url).path
            request = HTTPRequest(
                target.url,
                method="POST",
                body=body,
                headers={
                    "Authorization": tickets.sign(target.key, path, body, ticket_seconds),
                    "Content-Type": "application/json",
                },
                connect_timeout=timeout,
                request_timeout=timeout,
                follow_redirects=False,
            )
            error: BaseException | None = None
            try:
                response = await client.fetch(request, raise_error=False)
                code, error = response.code, response.error
            except HTTPClientError as e:  # raised, not returned, for a timeout in the queue
                code, error = e.code, e
            except OSError as e:
                code, error = 599, e
            seconds = time.monotonic() - started
            if code == 200:
                return Outcome(target.username, True, seconds=seconds)
            return Outcome(target.username, False, failure(code, error, timeout), seconds)

    return list(await asyncio.gather(*(one(t) for t in targets)))

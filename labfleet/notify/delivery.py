"""The fan-out: one notification to many servers at once, through the proxy.

Each server is reached at its own address on the proxy, the route its user's browser
takes (so what works for the user works here, subdomains and TLS included), with a
ticket that admits this one message to that one server (:mod:`.tickets`). At most
``concurrency`` requests are under way at once, each bounded by ``timeout``, over
connections to the proxy that are kept from one request to the next.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import tickets

NOT_RUNNING = "not running"
EXTENSION = "jupyterlab-notifications-extension"  # what takes the notifications


@dataclass(frozen=True)
class Target:
    """One recipient's server: its user, the ingest URL on the proxy and the server's key."""

    username: str
    url: str
    key: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient: delivered, or why not (in words), and how long it took;
    the server's answer."""

    username: str
    delivered: bool
    reason: str = ""
    seconds: float = 0.0
    answer: bytes = b""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """The status and body of one HTTP/1.1 answer; and whether the connection stays."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the connection was closed before an answer")
    code = int(status_line.split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readline()
    elif b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    else:
        body = await reader.read()  # to the end: the server closes the connection
        return code, body, False
    return code, body, headers.get(b"connection", b"").lower() != b"close"


class Connections:
    """One worker's kept-alive connections to the proxy, one per host name: a connection
    and its HTTP parsing for each request cost more than the request itself."""

    def __init__(self, address: str, tls: ssl.SSLContext | None):
        self.address, self.tls = address, tls
        self.open: dict[str, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """POST ``body`` to ``url`` on the proxy; the answer's status and body."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connection = self.open.pop(parts.netloc, None)
        if connection is None:
            connection = await asyncio.open_connection(
                self.address, port,
                ssl=self.tls if parts.scheme == "https" else None,
                server_hostname=parts.hostname if parts.scheme == "https" else None,
            )  # fmt: skip
        reader, writer = connection
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        try:
            await writer.drain()
            code, answer, keep = await _read_answer(reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            self.open[parts.netloc] = connection
        else:
            writer.close()
        return code, answer

    def close(self) -> None:
        for _, writer in self.open.values():
            writer.close()
        self.open.clear()


def tls_context(ca_certs: str | None) -> ssl.SSLContext:
    """How the proxy's certificate is checked: the system's CAs, or the bundle given."""
    return ssl.create_default_context(cafile=ca_certs or None)


def failure(
    code: int | None, error: BaseException | None, timeout: float, extension: str = EXTENSION
) -> str:
    """Why an answer (or none: ``error``) means the message did not arrive, in words."""
    if isinstance(error, TimeoutError):
        return f"timed out: no answer within {timeout:g} s"
    if error is not None:
        return f"refused: the proxy could not be reached ({error or type(error).__name__})"
    if code == 404:
        return f"extension missing: the server has no {extension}"
    if code in (401, 403):
        return f"refused (HTTP {code}): the server did not accept the hub's ticket"
    if code in (424, 502, 503):
        return f"{NOT_RUNNING}: the server does not answer (HTTP {code})"
    return f"failed: the server answered HTTP {code}"


async def deliver(
    targets: Sequence[Target],
    body: bytes,
    *,
    proxy_address: str,
    concurrency: int,
    timeout: float,
    ticket_seconds: int,
    tls: ssl.SSLContext | None = None,
    extension: str = EXTENSION,
) -> list[Outcome]:
    """Post ``body`` to every target's route (of ``extension``); one outcome per target, in order.

    ``concurrency`` workers take the targets in turn, each over its own connections.
    """
    outcomes: list[Outcome | None] = [None] * len(targets)
    queue = iter(enumerate(targets))

    async def worker() -> None:
        connections = Connections(proxy_address, tls)
        try:
            for index, target in queue:
                outcomes[index] = await one(connections, target)
        finally:
            connections.close()

    async def one(connections: Connections, target: Target) -> Outcome:
        started = time.monotonic()
        path = urlsplit(target.url).path
        headers = {
            "Authorization": tickets.sign(target.key, path, body, ticket_seconds),
            "Content-Type": "application/json",
        }
        code, answer, error = None, b"", None
        try:
            code, answer = await asyncio.wait_for(
                connections.post(target.url, headers, body), timeout
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as e:
            error = e
        seconds = time.monotonic() - started
        if code == 200:
            return Outcome(target.username, True, seconds=seconds, answer=answer)
        return Outcome(
            target.username, False, failure(code, error, timeout, extension), seconds, answer
        )

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(targets)))))
    return [outcome for outcome in outcomes if outcome is not None]

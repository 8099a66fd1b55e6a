"""The culler service: jupyterhub-idle-culler, deciding by the deadlines the hub computes.

Started by the hub as the managed service ``labfleet-culler``. Its cull arbiter asks
``/hub/api/labfleet/users/{name}/session`` whether time is up, so extensions count. It
stops when the hub that started it is gone (a crashed hub leaves no culler behind).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
from functools import partial
from urllib.parse import quote, urlsplit

from jupyterhub_idle_culler import cull_idle
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.netutil import DefaultLoopResolver, Resolver

from .proxy.routes import socket_path

REQUEST_TIMEOUT = 30
ORPHAN_CHECK_SECONDS = 1
HUB_HOST = "labfleet-hub.invalid"  # the hub's socket, for tornado's client

log = logging.getLogger("labfleet-culler")


def make_arbiter(api_url: str, token: str):
    """A cull arbiter that culls a server when the hub says its session has no time left."""

    async def arbiter(*, server: dict, **_) -> bool:
        username = server["full_name"].rpartition("/")[0]
        response = await AsyncHTTPClient().fetch(
            HTTPRequest(
                f"{api_url}/labfleet/users/{quote(username, safe='')}/session",
                headers={"Authorization": f"token {token}"},
                request_timeout=REQUEST_TIMEOUT,
            )
        )
        session = json.loads(response.body)
        return session["culling"] and session["seconds_left"] == 0

    return arbiter


class SocketResolver(Resolver):
    """Resolves ``HUB_HOST`` to the hub's Unix socket (tornado's client knows no http+unix)."""

    def initialize(self, socket: str) -> None:
        self.socket, self.names = socket, DefaultLoopResolver()

    async def resolve(self, host: str, port: int, family: int = socket.AF_UNSPEC) -> list:
        if host == HUB_HOST:
            return [(socket.AF_UNIX, self.socket)]
        return await self.names.resolve(host, port, family)


def reachable(api_url: str) -> str:
    """The hub API's URL as tornado's client reaches it: one on a socket gets a host name
    that resolves to the socket."""
    path = socket_path(api_url)
    if path is None:
        return api_url
    # the resolver every client makes (jupyterhub-idle-culler configures its own client)
    Resolver.configure(SocketResolver, socket=path)
    return f"http://{HUB_HOST}{urlsplit(api_url).path}".rstrip("/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="labfleet-culler")
    parser.add_argument("--every", type=int, required=True, help="seconds between checks")
    parser.add_argument("--timeout", type=int, required=True, help="idle timeout, seconds")
    parser.add_argument("--max-age", type=int, default=0, help="seconds; 0: no limit")
    parser.add_argument("--hub-pid", type=int, required=True, help="the hub that started it")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s"
    )
    # the hub API's URL and token that JupyterHub gives a managed service
    api_url, token = os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"]
    api_url = reachable(api_url)
    cull = partial(
        cull_idle,
        url=api_url,
        api_token=token,
        inactive_limit=args.timeout,
        logger=log,
        max_age=args.max_age,
        cull_arbiter=make_arbiter(api_url, token),
    )
    loop = IOLoop.current()
    loop.add_callback(cull)
    PeriodicCallback(cull, 1000 * args.every).start()
    # a service ends with the hub that started it, also when that hub crashed

    def stop_when_orphaned() -> None:
        if os.getppid() != args.hub_pid:
            log.info("The hub that started this service is gone: stopping")
            loop.stop()

    loop.add_callback(stop_when_orphaned)
    PeriodicCallback(stop_when_orphaned, 1000 * ORPHAN_CHECK_SECONDS).start()
    try:
        loop.start()
    except KeyboardInterrupt:
        pass  # the hub stops its services with SIGINT


if __name__ == "__main__":
    main()

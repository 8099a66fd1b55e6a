"""The proxy: configurable-http-proxy, by default the Python one installed with labfleet.

``python -m labfleet.proxy`` runs that proxy with these corrections:

- it decodes each request path and quotes it again, its own way: a user named ``a=b``
  reached the server as ``/user/a=b/``, not its base URL ``/user/a%3Db/``, and ``%2F``
  became ``/``. Here the path goes on exactly as the client sent it;
- it ignores the Host header, so JupyterHub's ``subdomain_host`` (servers on origins of
  their own, routes by host name) sent every request to the hub; and JupyterHub's bare
  ``--host-routing`` flag made it exit. Here routes are found by host, then path;
- it waits for the whole answer before sending any of it, so event streams (the
  spawn progress of the hub's pages) never arrive; here answers flow as they come;
- its error pages, fetched from the hub, carry the hub's cookies and would replace
  the user's XSRF cookie; here they do not;
- it passes on any client's ``X-Real-IP`` and ``X-Forwarded-For``, so the hub recorded
  forged addresses; here only those of the trusted proxies (``--trusted-proxies``) count;
- it has no TLS; here ``--ssl-key``/``--ssl-cert`` (JupyterHub's ``ssl_key``/``ssl_cert``)
  serve HTTPS;
- it forwards at most 10 requests at once and fails those that wait too long behind them
  (503 to a workshop's start requests); here up to 1000.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from configurable_http_proxy import cli, configproxy, handlers
from jupyterhub.proxy import ConfigurableHTTPProxy
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import DefaultLoopResolver, Resolver
from traitlets import List, Unicode, default

# the proxy's client gives up on a target after 20 s unless told otherwise; streams and
# restarts take longer, so the default here is a day (in ms, as the proxy counts)
PROXY_TIMEOUT_MS = 24 * 3600 * 1000
# requests forwarded at once: tornado's client queues any beyond its default of 10, and a
# queued one fails (503) once it has waited its timeout, as when 30 people press Start
# together and each start request waits for its server
MAX_CLIENTS = 1000
# what the hub (tornado) reads of a request's head; longer URIs are answered 414 here
MAX_URI = 32 * 1024
MAX_HEAD = 1024 * 1024
# headers of the target's answer that describe the connection, not the content
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive"}


class LabFleetProxy(ConfigurableHTTPProxy):
    """configurable-http-proxy started by the hub; set ``proxy.command`` for the node one."""

    trusted_proxies = List(
        Unicode(),
        help="""Addresses or networks (CIDR) of the reverse proxies in front of the hub, such
        as nginx on 127.0.0.1: only their X-Forwarded-For and X-Real-IP say where a request
        came from (the audit log records it). Any other client's are dropped.""",
    ).tag(config=True)

    route_listeners = List(
        help="Called with the user whenever a route to a user's server is added."
    )

    @default("command")
    def _command_default(self) -> list[str]:
        trusted = ",".join(self.trusted_proxies)
        return [sys.executable, "-m", "labfleet.proxy", f"--trusted-proxies={trusted}"]

    @default("pid_file")
    def _pid_file_default(self) -> str:
        return str(Path(self.parent.hub_dir) / "proxy.pid")

    async def add_user(self, user: Any, server_name: str = "") -> None:
        """Route to a user's server, except while it restarts in place: its address is then
        being replaced, and the restart adds the route once the new one is checked."""
        if getattr(user.spawners.get(server_name), "restarting", False):
            self.log.info("Not routing to %s's server while it restarts", user.name)
            return
        await super().add_user(user, server_name)
        for listener in self.route_listeners:
            listener(user)


class StreamingProxyHandler(handlers.ProxyHandler):
    """The proxy's handler, sending the target's answer on as it arrives."""

    serving_error_page = False
    trusted: tuple = ()  # the networks of the trusted proxies (set by main)

    async def get_target_url(self, path: str) -> str | None:
        """The target URL of this request: the route of its host (with host routing) and
        path, and the path as the client sent it (still percent-encoded)."""
        host = self.request.host_name if self.proxy.host_routing else None
        self.target = self.proxy.target_for_req(host, "/" + path)
        if self.target is None:
            await self.handle_proxy_error(404, err=None)
            return None
        target = urllib.parse.urlparse(self.target["target"])
        # JupyterHub's routes keep their prefix (include_prefix) and add the path to the
        # target's (prepend_path): the only way JupyterHub runs this proxy
        queries = [q for q in (target.query, self.request.query) if q]
        target = target._replace(
            path=target.path.rstrip("/") + "/" + self.request.path.lstrip("/"),
            query="&".join(queries),
        )
        return target.geturl()

    async def call_proxy(self, path: str | None = None) -> None:
        if len(self.request.uri) > MAX_URI:
            # beyond what the hub reads: a clear answer rather than a dropped connection
            self.set_status(414)
            self.finish("414: Request-URI Too Long\n")
            return
        url = await self.get_target_url(path)
        if url is None:
            return
        request = self._get_proxy_request(url)
        request.header_callback = self._relay_header
        request.streaming_callback = self._relay_chunk
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
            error = response.error if response.code == 599 else None
        except Exception as e:
            error = e
        if error is None:
            self.finish()
        elif not self._headers_written:
            await self.handle_proxy_error(503, error)

    def _get_proxy_request(self, url: str) -> HTTPRequest:
        """The request to the target, saying where the client is only as far as known."""
        request = super()._get_proxy_request(url)
        headers = request.headers
        chain = [self.request.remote_ip]
        if self.is_trusted(self.request.remote_ip):
            sent = self.request.headers.get("X-Forwarded-For", "")
            chain = [a.strip() for a in sent.split(",") if a.strip()] + chain
        # the client: the last address before the trusted proxies
        client = next((a for a in reversed(chain) if not self.is_trusted(a)), chain[0])
        for name in ("X-Real-Ip", "X-Forwarded-For", "X-Forwarded-Proto"):
            headers.pop(name, None)
        headers["X-Real-Ip"] = client
        headers["X-Forwarded-For"] = ", ".join(chain)
        headers["X-Forwarded-Proto"] = self.request.protocol
        return request

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def _relay_header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            code = int(line.split(" ", 2)[1])
            if code >= 200:  # not an interim 1xx answer
                self.clear()
                self.set_status(code)
            return
        name, colon, value = line.partition(":")
        if not colon or name.strip().lower() in HOP_BY_HOP:
            return
        if name.strip().lower() in {"server", "content-type", "date"}:
            self.set_header(name.strip(), value.strip())
        else:
            self.add_header(name.strip(), value.strip())

    def _relay_chunk(self, chunk: bytes) -> None:
        self.write(chunk)
        self.flush()

    async def handle_proxy_error(self, code: int, err: object) -> None:
        self.serving_error_page = True
        await super().handle_proxy_error(code, err)

    def set_header(self, name: str, value: object) -> None:
        # the hub's error page must not replace the user's cookies
        if not (self.serving_error_page and name.lower() == "set-cookie"):
            super().set_header(name, value)


class AddressResolver(Resolver):
    """The targets' addresses, without a thread: the default resolver hands every lookup,
    an IP address too (the hub's routes name addresses), to a thread of its pool."""

    def initialize(self) -> None:
        self.names = DefaultLoopResolver()

    async def resolve(self, host: str, port: int, family: int = socket.AF_UNSPEC) -> list:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return await self.names.resolve(host, port, family)
        kind = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        return [(kind, (host, port))]


def take_option(argv: list[str], name: str) -> str | None:
    """Remove ``name value`` or ``name=value`` from ``argv``; the value (None if absent)."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i : i + 2]
            return value
        if arg.startswith(f"{name}="):
            del argv[i]
            return arg.split("=", 1)[1]
    return None


def public_server(tls: ssl.SSLContext | None) -> type[HTTPServer]:
    """The HTTPServer of the proxy's public side (not its API): over TLS when given, and
    reading request heads long enough to answer an overlong one with 414, not a dropped
    connection."""

    class Server(HTTPServer):
        def initialize(self, request_callback: Any, **kwargs: Any) -> None:
            rules = getattr(getattr(request_callback, "wildcard_router", None), "rules", [])
            public = any(
                isinstance(r.target, type) and issubclass(r.target, handlers.ProxyHandler)
                for r in rules
            )
            if public:
                kwargs.update(ssl_options=tls, max_header_size=MAX_HEAD)
            super().initialize(request_callback, **kwargs)

    return Server


def main() -> None:
    configproxy.ProxyHandler = StreamingProxyHandler
    AsyncHTTPClient.configure(None, max_clients=MAX_CLIENTS, resolver=AddressResolver())
    argv = sys.argv
    # JupyterHub passes a bare flag; this proxy's option takes a value
    argv[:] = ["--host-routing=1" if arg == "--host-routing" else arg for arg in argv]
    trusted = take_option(argv, "--trusted-proxies") or ""
    StreamingProxyHandler.trusted = tuple(
        ipaddress.ip_network(item.strip(), strict=False)
        for item in trusted.split(",")
        if item.strip()
    )
    certificate, key = take_option(argv, "--ssl-cert"), take_option(argv, "--ssl-key")
    tls = None
    if certificate and key:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(certificate, key)
    cli.HTTPServer = public_server(tls)
    if not any(arg.startswith("--proxy-timeout") for arg in argv):
        argv.append(f"--proxy-timeout={PROXY_TIMEOUT_MS}")
    cli.main()


if __name__ == "__main__":
    main()

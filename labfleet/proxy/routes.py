"""JupyterHub's routes as Caddy routes, and back: pure functions of their data.

A route of JupyterHub's (``[host]/path/`` -> target URL, with a data dict) becomes one
terminal Caddy route: a ``vars`` handler that carries the routespec, target and data (so
that the route can be read back exactly as JupyterHub gave it), then ``reverse_proxy`` to the
target. Caddy tries routes in order, so they are kept sorted: routes of a host first, then
the longest path first, the default route ``/`` last.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, unquote, urlsplit

ROUTE_SPEC = "jupyterhub_routespec"
ROUTE_TARGET = "jupyterhub_target"
ROUTE_DATA = "jupyterhub_data"
# websockets and event streams stay open across a route change (Caddy would otherwise
# close the upgraded connections of the configuration it replaces)
STREAM_CLOSE_DELAY = "720h"
# a cookie's Domain attribute: without it, a cookie is its host's alone
HOST_ONLY = "(?i);\\s*Domain=[^;]*"


def socket_url(path: str) -> str:
    """The URL of an HTTP server on the Unix socket ``path`` (JupyterHub's ``http+unix``)."""
    return f"http+unix://{quote(path, safe='')}"


def socket_path(url: str) -> str | None:
    """The socket path of an ``http+unix`` URL (None for any other URL)."""
    parts = urlsplit(url)
    if parts.scheme != "http+unix":
        return None
    # JupyterHub adds the port 80 to a spawned server's host
    return unquote(parts.netloc.rsplit(":", 1)[0] if parts.netloc.endswith(":80") else parts.netloc)


def dial(target: str) -> str:
    """Caddy's upstream address of a target URL: ``unix/PATH`` or ``host:port``."""
    path = socket_path(target)
    if path is not None:
        return f"unix/{path}"
    parts = urlsplit(target)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or "127.0.0.1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_spec(routespec: str) -> tuple[str | None, str]:
    """The host (None for any) and the path prefix of a routespec."""
    if routespec.startswith("/"):
        return None, routespec
    host, _, path = routespec.partition("/")
    return host, "/" + path


def route_id(routespec: str) -> str:
    return "jupyterhub-" + hashlib.sha256(routespec.encode()).hexdigest()[:24]


def make_route(
    routespec: str,
    target: str,
    data: dict[str, Any],
    *,
    guards: list[dict[str, Any]] = (),
    host_only_cookies: bool = False,
) -> dict[str, Any]:
    """The Caddy route of one JupyterHub route; ``guards`` are handlers run before the
    request is proxied (limits of users' routes); ``host_only_cookies`` drops the Domain of
    the cookies the target sets (the hub's, with subdomains: no user's host gets them)."""
    host, path = split_spec(routespec)
    match: dict[str, Any] = {}
    if path != "/":
        # Caddy matches the unescaped path; the target gets the path as the client sent it
        prefix = unquote(path)
        match["path"] = [prefix + "*", prefix.rstrip("/")]
    if host:
        match["host"] = [host]
    proxy: dict[str, Any] = {
        "handler": "reverse_proxy",
        "upstreams": [{"dial": dial(target)}],
        "stream_close_delay": STREAM_CLOSE_DELAY,
        "headers": {"request": {"set": {"X-Real-Ip": ["{http.vars.client_ip}"]}}},
    }
    if host_only_cookies:
        proxy["headers"]["response"] = {
            "replace": {"Set-Cookie": [{"search_regexp": HOST_ONLY, "replace": ""}]}
        }
    route: dict[str, Any] = {
        "@id": route_id(routespec),
        "handle": [
            {"handler": "vars", ROUTE_SPEC: routespec, ROUTE_TARGET: target, ROUTE_DATA: data},
            *guards,
            proxy,
        ],
        "terminal": True,
    }
    if match:
        route["match"] = [match]
    return route


def route_info(route: dict[str, Any]) -> dict[str, Any] | None:
    """JupyterHub's view of a Caddy route: routespec, target, data (None if not one of its)."""
    handlers = route.get("handle") or [{}]
    first = handlers[0]
    if first.get("handler") != "vars" or ROUTE_SPEC not in first:
        return None
    return {
        "routespec": first[ROUTE_SPEC],
        "target": first[ROUTE_TARGET],
        "data": first.get(ROUTE_DATA) or {},
    }


def sort_key(routespec: str) -> tuple[int, int]:
    """Routes of a host before routes of any host, then the longest path first."""
    host, path = split_spec(routespec)
    return (0 if host else 1, -len(path))


def sorted_routes(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(routes, key=lambda r: sort_key(route_info(r)["routespec"]))

"""Caddy's whole configuration for a hub: a pure function of explicit inputs, tested as data.

One HTTP server, ``labfleet``, listens on the public addresses; its routes are JupyterHub's
(:mod:`.routes`), and its error routes answer for a server or a hub that cannot be reached:
a user's route shows the hub's error page, the hub's own route says it is back in a moment.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .routes import dial, route_info, sorted_routes

SERVER = "labfleet"
MAX_URI = 32 * 1024  # the longest URI passed on: tornado, behind, reads heads of 64 KB
# the hub's answer to Caddy: may this host have a certificate (apihandlers/certificates.py)
ALLOWED_PATH = "api/labfleet/certificates/allowed"
# what a page asking the hub gets while the hub restarts
BACK_SOON = (
    "<!doctype html><html><head><meta charset=utf-8><meta http-equiv=refresh content=3>"
    "<title>Back in a moment</title></head><body style='font-family:sans-serif;margin:3em'>"
    "<h1>Back in a moment</h1><p>The hub is restarting. Running servers keep working; this "
    "page reloads by itself.</p></body></html>"
)


@dataclass(frozen=True)
class Limits:
    """What one client may hold of the proxy: header size and time, idle time, bodies."""

    read_header_seconds: int = 10
    idle_seconds: int = 300
    max_header_bytes: int = 1024 * 1024
    max_body_bytes: int = 64 * 1024 * 1024  # on users' routes; 0: no limit


@dataclass(frozen=True)
class Tls:
    """How the public port serves HTTPS: certificate files, or ACME for ``domain`` (and,
    with ``on_demand``, for every host the hub allows, when first visited)."""

    cert: str = ""
    key: str = ""
    domain: str = ""
    email: str = ""
    acme_directory: str = ""
    acme_ca_root: str = ""
    on_demand: bool = False
    http_port: int = 80


@dataclass(frozen=True)
class Site:
    """Everything of a hub that Caddy's configuration depends on, but its routes."""

    listen: tuple[str, ...]
    admin_socket: str
    storage: str
    log_file: str
    hub_target: str  # the hub's URL (http+unix: its socket)
    hub_prefix: str = "/hub/"
    hub_origin: str = ""  # with subdomains: the hub's own origin (hub.subdomain_host)
    trusted_proxies: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    tls: Tls | None = None


def listen_addresses(host: str | None, port: int) -> tuple[str, ...]:
    """Caddy's listeners for a bind URL's host: loopback is 127.0.0.1 and ::1 alike (a
    browser's ``localhost`` tries both); any address, or a domain name, both families."""
    if host in (None, "", "0.0.0.0", "::") or not is_address(host) and host != "localhost":
        return (f":{port}",)
    if host in ("127.0.0.1", "localhost", "::1"):
        return (f"127.0.0.1:{port}", f"[::1]:{port}")
    return (f"[{host}]:{port}" if ":" in host else f"{host}:{port}",)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def guards(limits: Limits) -> list[dict[str, Any]]:
    """Handlers in front of every user's server: the body limit (answered 413)."""
    if not limits.max_body_bytes:
        return []
    return [{"handler": "request_body", "max_size": limits.max_body_bytes}]


def fixed_routes(site: Site) -> list[dict[str, Any]]:
    """Routes ahead of JupyterHub's: a clear 414 for a URI longer than the hub and servers
    read; with subdomains, the hub's pages on its own host only (on a user's host they would
    hand that host's page the hub's login and cookies)."""
    overlong = {
        "match": [{"expression": f"size({{http.request.uri}}) > {MAX_URI}"}],
        "handle": [{"handler": "static_response", "status_code": 414,
                    "body": "414: Request-URI Too Long\n"}],
        "terminal": True,
    }  # fmt: skip
    if not site.hub_origin:
        return [overlong]
    prefix = site.hub_prefix
    return [
        overlong,
        {
            "match": [{"path": [f"{prefix}*", prefix.rstrip("/")],
                       "not": [{"host": [urlsplit(site.hub_origin).hostname]}]}],
            "handle": [{"handler": "static_response", "status_code": 308,
                        "headers": {"Location": [
                            site.hub_origin.rstrip("/") + "{http.request.uri}"]}}],
            "terminal": True,
        }
    ]  # fmt: skip


def all_routes(site: Site, routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server's routes: the fixed ones, JupyterHub's ``routes`` (sorted), and last an
    answer for when the hub's own route is missing (before the hub's first start ends)."""
    waiting = {"handle": [back_soon()], "terminal": True}
    return [*fixed_routes(site), *sorted_routes(routes), waiting]


def back_soon() -> dict[str, Any]:
    """The hub is not there: a page that says so and reloads itself."""
    return {
        "handler": "static_response", "status_code": 503,
        "headers": {"Content-Type": ["text/html; charset=utf-8"], "Retry-After": ["3"],
                    "Cache-Control": ["no-store"]},
        "body": BACK_SOON,
    }  # fmt: skip


def error_routes(site: Site) -> list[dict[str, Any]]:
    """What Caddy answers when a route's target cannot be reached."""
    hub = {"dial": dial(site.hub_target)}
    return [
        {
            # a user's server is gone: the hub's error page says so (without the hub's
            # cookies, which would replace the user's XSRF cookie)
            "match": [{"not": [{"vars": {"{http.vars.jupyterhub_routespec}": ["/"]}}],
                       "expression": "{http.error.status_code} == 502"}],
            "handle": [
                {"handler": "rewrite", "method": "GET",
                 "uri": f"{site.hub_prefix}error/503?url={{http.request.uri.path}}"},
                {"handler": "reverse_proxy", "upstreams": [hub],
                 "headers": {"response": {"delete": ["Set-Cookie"]}},
                 "handle_response": [{"routes": [{"handle": [
                     {"handler": "copy_response", "status_code": 503}]}]}]},
            ],
            "terminal": True,
        },
        {
            "match": [{"expression": "{http.error.status_code} == 502"}],
            "handle": [back_soon()],
            "terminal": True,
        },
    ]  # fmt: skip


def allowed_url(site: Site) -> str:
    """Where Caddy asks whether a host may have a certificate: the hub, through Caddy's
    own plain HTTP port, from loopback only."""
    return f"http://127.0.0.1:{site.tls.http_port}{site.hub_prefix}{ALLOWED_PATH}"


def tls_app(site: Site) -> dict[str, Any]:
    """Caddy's ``tls`` app: the certificate files, or ACME (with on-demand hosts)."""
    tls = site.tls
    if tls.cert:
        return {"certificates": {"load_files": [{"certificate": tls.cert, "key": tls.key}]}}
    issuer: dict[str, Any] = {"module": "acme"}
    if tls.email:
        issuer["email"] = tls.email
    if tls.acme_directory:
        issuer["ca"] = tls.acme_directory
    if tls.acme_ca_root:
        issuer["trusted_roots_pem_files"] = [tls.acme_ca_root]
    policies: list[dict[str, Any]] = [{"subjects": [tls.domain], "issuers": [issuer]}]
    automation: dict[str, Any] = {"policies": policies}
    if tls.on_demand:
        policies.append({"issuers": [issuer], "on_demand": True})
        automation["on_demand"] = {"permission": {"module": "http", "endpoint": allowed_url(site)}}
    return {"certificates": {"automate": [tls.domain]}, "automation": automation}


def plain_server(site: Site, https_port: int) -> dict[str, Any]:
    """The plain HTTP port beside HTTPS: ACME's HTTP challenge (Caddy answers it first), the
    hub's certificate check for Caddy itself, and a redirect of everything else."""
    port = "" if https_port == 443 else f":{https_port}"
    return {
        "listen": [f":{site.tls.http_port}"],
        "protocols": ["h1"],
        "routes": [
            {
                "match": [{"remote_ip": {"ranges": ["127.0.0.1/32", "::1/128"]},
                           "path": [f"{site.hub_prefix}{ALLOWED_PATH}"]}],
                "handle": [{"handler": "reverse_proxy",
                            "upstreams": [{"dial": dial(site.hub_target)}]}],
                "terminal": True,
            },
            {
                "handle": [{"handler": "static_response", "status_code": 308,
                            "headers": {"Location": [
                                f"https://{{http.request.host}}{port}{{http.request.uri}}"]}}],
            },
        ],
    }  # fmt: skip


def make_config(site: Site, routes: list[dict[str, Any]]) -> dict[str, Any]:
    """Caddy's configuration: the site with JupyterHub's ``routes``."""
    limits = site.limits
    server: dict[str, Any] = {
        "listen": list(site.listen),
        "read_header_timeout": f"{limits.read_header_seconds}s",
        "idle_timeout": f"{limits.idle_seconds}s",
        "max_header_bytes": limits.max_header_bytes,
        "routes": all_routes(site, routes),
        "errors": {"routes": error_routes(site)},
        # the client's address as the hub records it: from trusted proxies only
        "trusted_proxies": {"source": "static", "ranges": list(site.trusted_proxies)},
        "protocols": ["h1", "h2"],
    }
    http: dict[str, Any] = {"servers": {SERVER: server}}
    tls = site.tls
    if tls is None:
        server["automatic_https"] = {"disable": True}
    elif tls.cert:
        server["automatic_https"] = {"disable": True}
        server["tls_connection_policies"] = [{}]
    else:
        # the certificates are the tls app's (tls_app): none for the hosts of routes
        server["automatic_https"] = {"disable_redirects": True, "disable_certificates": True}
        server["tls_connection_policies"] = [{"default_sni": tls.domain}]
        port = int(site.listen[0].rsplit(":", 1)[1])
        http["servers"]["plain"] = plain_server(site, port)
        http.update(http_port=tls.http_port, https_port=port)
    config: dict[str, Any] = {
        "admin": {"listen": f"unix/{site.admin_socket}", "config": {"persist": True}},
        "storage": {"module": "file_system", "root": site.storage},
        "logging": {
            "logs": {
                "default": {
                    "writer": {
                        "output": "file",
                        "filename": site.log_file,
                        "roll_size_mb": 20,
                        "roll_keep": 3,
                    },
                    "level": "INFO",
                }
            }
        },  # fmt: skip
        "apps": {"http": http},
    }
    if tls is not None:
        config["apps"]["tls"] = tls_app(site)
    return config


def routes_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The JupyterHub routes of a Caddy configuration ([] for none, or another's)."""
    try:
        routes = config["apps"]["http"]["servers"][SERVER]["routes"] or []
    except (KeyError, TypeError):
        return []
    return [r for r in routes if route_info(r) is not None]

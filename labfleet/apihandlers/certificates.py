"""Which hosts may have a certificate: Caddy asks before it gets one on demand (https.domain
with hub.subdomain_host), so that nobody can make it request certificates for made-up names."""

from __future__ import annotations

from urllib.parse import urlsplit

from jupyterhub import orm
from jupyterhub.utils import subdomain_hook_legacy
from tornado import web

from ..authz import public
from ..proxy.config import ALLOWED_PATH
from .base import LabFleetAPIHandler


class AllowedHostAPIHandler(LabFleetAPIHandler):
    """GET ?domain=HOST: 200 for the hub's host and existing users' hosts, else 404."""

    @public
    async def get(self) -> None:
        host = self.get_argument("domain", "").lower().rstrip(".")
        if host not in self.allowed_hosts():
            raise web.HTTPError(404, f"{host or 'no host'} is not a host of this hub")
        self.write({"allowed": host})

    def allowed_hosts(self) -> set[str]:
        subdomain_host = self.settings.get("subdomain_host") or ""
        hosts = {urlsplit(subdomain_host).hostname or ""}
        if subdomain_host:
            hook = self.settings.get("subdomain_hook", subdomain_hook_legacy)
            domain = self.settings["domain"]
            names = self.db.query(orm.User.name)
            hosts |= {hook(name, domain, kind="user").lower() for (name,) in names}
        return hosts - {""}


default_handlers = [(f"/{ALLOWED_PATH}", AllowedHostAPIHandler)]

"""The hub pages' icon (``branding.favicon``), served like JupyterHub's /hub/logo."""

from __future__ import annotations

from jupyterhub.handlers.static import LogoHandler
from tornado import web

from ..branding import FAVICON_ROUTE, image_file


class FaviconHandler(LogoHandler):
    """The hub pages' icon, ``branding.favicon`` when it is a file; public, like /hub/logo."""

    def initialize(self) -> None:
        favicon = image_file(self.settings["labfleet"].branding.favicon)
        super().initialize(path=str(favicon) if favicon else "")

    def prepare(self) -> None:
        if not self.root:
            raise web.HTTPError(404, "branding.favicon is not a file")


default_handlers = [(rf"/{FAVICON_ROUTE}", FaviconHandler)]

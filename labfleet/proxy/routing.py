"""What every labfleet proxy does when JupyterHub routes a user's server: wait while it
restarts in place, and tell the features that follow new routes (late broadcasts and
hand-outs)."""

from __future__ import annotations

from typing import Any

from jupyterhub.proxy import ConfigurableHTTPProxy, Proxy
from traitlets import List


class RouteListeners(Proxy):
    """A JupyterHub proxy whose user routes are followed by labfleet's features."""

    route_listeners = List(
        help="Called with the user whenever a route to a user's server is added."
    )

    async def add_user(self, user: Any, server_name: str = "") -> None:
        """Route to a user's server, except while it restarts in place: its address is then
        being replaced, and the restart adds the route once the new one is checked."""
        if getattr(user.spawners.get(server_name), "restarting", False):
            self.log.info("Not routing to %s's server while it restarts", user.name)
            return
        await super().add_user(user, server_name)
        for listener in self.route_listeners:
            listener(user)


class ChartProxy(RouteListeners, ConfigurableHTTPProxy):
    """The Zero to JupyterHub chart's configurable-http-proxy (kubernetes backend)."""

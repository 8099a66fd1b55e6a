"""labfleet's jupyter_server extension, enabled in every user environment labfleet makes.

Linked after JupyterHub's own (extensions link in the order of their names), it lets the
server admit the hub's notification tickets (:mod:`labfleet.singleuser.identity`).
"""

from __future__ import annotations

from typing import Any


def _link_jupyter_server_extension(serverapp: Any) -> None:
    from jupyterhub.singleuser.extension import JupyterHubIdentityProvider

    from .identity import TicketIdentityProvider

    if serverapp.identity_provider_class is JupyterHubIdentityProvider:
        # in the configuration too: extensions linked later apply it to the server again
        serverapp.config.ServerApp.identity_provider_class = TicketIdentityProvider
        serverapp.identity_provider_class = TicketIdentityProvider


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Nothing to add to the web application."""

"""labfleet's jupyter_server extension, enabled in every user environment labfleet makes.

Linked after JupyterHub's own (extensions link in the order of their names), it lets the
server admit the hub's tickets (:mod:`labfleet.singleuser.identity`); loaded after
JupyterLab's, it adds the route of handed-out material, notebook-save events and
JupyterLab's autosave interval when the hub's spawner asks for them, and the route by which
the hub turns them on or off while the server runs (:mod:`labfleet.singleuser.save_events`).
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
    from jupyter_server.utils import url_path_join

    from .material import ROUTE, MaterialHandler
    from .save_events import (
        CONTENTS_EVENTS,
        MODE_ROUTE,
        SETTING,
        SaveEvents,
        WorkshopModeHandler,
        set_autosave,
    )

    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, ROUTE), MaterialHandler),
            (url_path_join(base_url, MODE_ROUTE), WorkshopModeHandler),
        ],
    )
    hub_auth = getattr(serverapp.identity_provider, "hub_auth", None)
    if hub_auth is None:  # not a server of a hub
        return
    events = SaveEvents(
        parent=serverapp,
        contents_manager=serverapp.contents_manager,
        api_url=hub_auth.api_url,
        api_token=hub_auth.api_token,
    )
    web_app.settings[SETTING] = events
    # always listening: the hub may turn workshop mode on while the server runs
    serverapp.event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=events.listener)
    if events.enabled:
        serverapp.log.info("labfleet: notebook saves are sent to the hub")
    if events.autosave_seconds and not set_autosave(web_app, events.autosave_seconds):
        serverapp.log.warning("labfleet: no JupyterLab settings to set the autosave interval in")

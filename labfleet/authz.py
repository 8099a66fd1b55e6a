"""Who may call a labfleet route: JupyterHub scopes, checked the same way for API and pages."""

from __future__ import annotations

from collections.abc import Sequence

from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import has_scope
from tornado import web


def authorize(handler: BaseHandler, scopes: Sequence[str], user_name: str | None = None) -> None:
    """Raise unless the caller holds one of ``scopes`` (for ``user_name``, when given).

    403 without credentials or without any of the scopes; 404 when the caller holds
    them only for other users, the same answer as for a user that does not exist.
    """
    if handler.current_user is None:
        raise web.HTTPError(403, "Missing or invalid credentials.")
    wanted = [f"{s}!user={user_name}" if user_name else s for s in scopes]
    if any(has_scope(s, handler.parsed_scopes, db=handler.db) for s in wanted):
        return
    if user_name and any(s in handler.parsed_scopes for s in scopes):
        raise web.HTTPError(404, "No access to this user, or no such user")
    target = f" for user {user_name}" if user_name else ""
    raise web.HTTPError(403, f"Requires one of the scopes {', '.join(scopes)}{target}")

"""Who may call a labfleet route: one decorator on each handler method, for API and pages.

As JupyterHub's own ``@needs_scope`` (``jupyterhub.scopes``), but for labfleet's custom
scopes too (JupyterHub's refuses scopes it does not know when the module is imported, and
custom ones are only known once the hub has started). The method's ``user_name`` argument
filters the scopes for that user; nothing else in the method checks permissions.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from jupyterhub import orm
from jupyterhub.apihandlers import APIHandler
from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import Scope, has_scope
from tornado import web

from .scopes import in_words

F = TypeVar("F", bound=Callable[..., Any])

# the attribute where a handler method keeps the scopes it needs (() for a public one)
SCOPES_ATTRIBUTE = "labfleet_scopes"


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
    if not isinstance(handler, APIHandler):
        # a page speaks to people: what the page is for, not scope names
        able = " or ".join(dict.fromkeys(in_words(s) for s in scopes))
        raise web.HTTPError(
            403,
            f"This page is for those who may {able}. Ask an admin of this hub if you need it.",
        )
    target = f" for user {user_name}" if user_name else ""
    raise web.HTTPError(403, f"Requires one of the scopes {', '.join(scopes)}{target}")


def needs_scope(*scopes: str, own: bool = False, filtered: bool = False) -> Callable[[F], F]:
    """Decorate a handler method: it runs only for a caller holding one of ``scopes``.

    For a method with a ``user_name`` argument the scopes are checked for that user; a
    route without a name in its path (``user_name`` None), or ``own``, means the caller's
    own account, and the caller must then be a user (not a service). ``filtered``: a
    listing that holders of the scopes for some users may call, and that shows them only
    those users (:func:`visible_users`).
    """
    if not scopes:
        raise ValueError("needs_scope needs at least one scope; use @public for open routes")

    def decorate(method: F) -> F:
        signature = inspect.signature(method)
        binds_user = "user_name" in signature.parameters

        @functools.wraps(method)
        def checked(handler: BaseHandler, *args: Any, **kwargs: Any) -> Any:
            user_name = None
            if binds_user:
                bound = signature.bind(handler, *args, **kwargs)
                bound.apply_defaults()
                user_name = bound.arguments["user_name"]
            if own or (binds_user and user_name is None):
                caller = handler.current_user
                if caller is not None and caller.kind != "user":
                    raise web.HTTPError(403, "This is for users' own accounts, not services")
                user_name = caller.name if caller is not None else None
            if filtered:
                if visible_users(handler, scopes) == frozenset():
                    authorize(handler, scopes)  # the same refusals as without a filter
            else:
                authorize(handler, scopes, user_name)
            return method(handler, *args, **kwargs)

        setattr(checked, SCOPES_ATTRIBUTE, tuple(scopes))
        return checked  # type: ignore[return-value]

    return decorate


def visible_users(handler: BaseHandler, scopes: Sequence[str]) -> frozenset[str] | None:
    """The users whose records a holder of ``scopes`` may see: None for every user, else
    their names (those of the scopes' user filters and the members of their group filters)."""
    if handler.current_user is None:
        return frozenset()
    names: set[str] = set()
    for scope in scopes:
        held = handler.parsed_scopes.get(scope)
        if held is None:
            continue
        if held == Scope.ALL:
            return None
        names.update(held.get("user", ()))
        groups = held.get("group", ())
        if groups:
            members = (
                handler.db.query(orm.User.name)
                .join(orm.User.groups)
                .filter(orm.Group.name.in_(list(groups)))
            )
            names.update(name for (name,) in members)
    return frozenset(names)


def public(method: F) -> F:
    """Decorate a handler method that anyone may call (a sign-up form, say)."""
    setattr(method, SCOPES_ATTRIBUTE, ())
    return method


def declared_scopes(method: Callable[..., Any]) -> tuple[str, ...] | None:
    """The scopes a handler method declares (() if public); None if it declares none."""
    return getattr(method, SCOPES_ATTRIBUTE, None)


def holds_any(parsed_scopes: Mapping[str, Any], scopes: Sequence[str]) -> bool:
    """Whether the caller holds one of ``scopes`` for anyone (what a link to a page needs)."""
    return any(scope in parsed_scopes for scope in scopes)

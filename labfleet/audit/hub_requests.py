"""Audit events for what JupyterHub's own handlers did, read off each finished request.

The one place of JupyterHub that knows who asked, for whom, and how it ended is its
request log (tornado's ``log_function``). :func:`audited` wraps it: after each request
answered by one of the handlers below, one audit event per action is recorded, the
caller (a user or a service, e.g. the culler) as actor:

- ``login``: a post of the login form; ``ok`` or ``failed``, with the client's address (a
  failed one by ``anonymous``, the typed name as its target and ``claimed``).
- ``user.create``, ``user.delete``: JupyterHub's user API (the admin page uses it too).
- ``server.start``, ``server.stop``: JupyterHub's server API and spawn page;
  ``pending: true`` when the answer came before the server was ready or gone.

labfleet's own routes, and labfleet's overrides of these handlers' methods, record their
operations themselves (:mod:`labfleet.operations`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from jupyterhub import orm
from jupyterhub.apihandlers.users import (
    UserAPIHandler,
    UserListAPIHandler,
    UserServerAPIHandler,
)
from jupyterhub.handlers import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.handlers.pages import SpawnHandler
from tornado.log import app_log

from .recording import record

F = TypeVar("F", bound=Callable[..., Any])

MAX_NAME = 255


@dataclass(frozen=True)
class Event:
    actor: str
    action: str
    target: str
    result: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)


def actor_of(handler: BaseHandler) -> str:
    """The user or service that made the request."""
    return handler.current_user.name if handler.current_user else "anonymous"


def during(handler: BaseHandler, moment: datetime | None) -> bool:
    """Whether ``moment`` (JupyterHub's naive UTC) falls after the request arrived."""
    arrived = datetime.fromtimestamp(time.time() - handler.request.request_time(), timezone.utc)
    return moment is not None and moment.replace(tzinfo=timezone.utc) >= arrived


def login(handler: BaseHandler, method: str, status: int) -> list[Event]:
    if method != "POST":
        return []
    detail = {"ip": handler.request.remote_ip}
    if status == 302 and handler.current_user:
        name = handler.current_user.name
        return [Event(name, "login", name, "ok", detail)]
    if status in (403, 429):
        # the typed name is a claim, not who asked
        claimed = handler.get_body_argument("username", "").strip()[:MAX_NAME] or "?"
        return [Event("anonymous", "login", claimed, "failed", {**detail, "claimed": claimed})]
    return []


def user(handler: BaseHandler, method: str, status: int) -> list[Event]:
    action = {("POST", 201): "user.create", ("DELETE", 204): "user.delete"}.get((method, status))
    return [Event(actor_of(handler), action, handler.path_args[0])] if action else []


def users(handler: BaseHandler, method: str, status: int) -> list[Event]:
    """Bulk creation: the names of the body that the request created."""
    if (method, status) != ("POST", 201):
        return []
    normalize = handler.authenticator.normalize_username
    names = [normalize(name) for name in handler.get_json_body()["usernames"]]
    return [
        Event(actor_of(handler), "user.create", name, detail={"bulk": True})
        for name in dict.fromkeys(names)
        if (row := orm.User.find(handler.db, name)) is not None and during(handler, row.created)
    ]


def server(handler: BaseHandler, method: str, status: int) -> list[Event]:
    action = {("POST", 201): "start", ("POST", 202): "start", ("DELETE", 204): "stop",
              ("DELETE", 202): "stop"}.get((method, status))  # fmt: skip
    if action is None:
        return []
    target, *server_name = handler.path_args
    detail = {"server": server_name[0]} if server_name and server_name[0] else {}
    if status == 202:
        detail["pending"] = True
    return [Event(actor_of(handler), f"server.{action}", target, detail=detail)]


def spawn_page(handler: BaseHandler, method: str, status: int) -> list[Event]:
    """The spawn page: a start when the server's start time falls within the request."""
    if status != 302:
        return []
    target, server_name = [*handler.path_args, "", ""][:2]
    owner = handler.find_user(target) if target else handler.current_user
    spawner = owner.spawners.get(server_name) if owner else None
    if spawner is None or not during(handler, spawner.orm_spawner.started):
        return []
    detail = {"server": server_name, "pending": True} if server_name else {"pending": True}
    return [Event(actor_of(handler), "server.start", owner.name, detail=detail)]


# JupyterHub handler -> the events a finished request of it means (subclasses included)
RULES: list[tuple[type[BaseHandler], Callable[[BaseHandler, str, int], list[Event]]]] = [
    (LoginHandler, login),
    (UserAPIHandler, user),
    (UserListAPIHandler, users),
    (UserServerAPIHandler, server),
    (SpawnHandler, spawn_page),
]


def checks_then_defers(method: F) -> F:
    """Mark a labfleet override that only refuses some requests before JupyterHub's own method
    runs: JupyterHub's rule records the events of the requests it lets through."""
    method.checks_then_defers = True  # type: ignore[attr-defined]
    return method


def labfleet_method(handler: Any, method: str) -> bool:
    """Whether labfleet overrides the handler's method (then it records its own events)."""
    for cls in type(handler).__mro__:
        if method.lower() in vars(cls):
            override = vars(cls)[method.lower()]
            deferring = getattr(override, "checks_then_defers", False)
            return cls.__module__.split(".")[0] == "labfleet" and not deferring
    return False


def events_of(handler: Any) -> list[Event]:
    """The audit events of a finished request (none for most requests)."""
    method = handler.request.method
    for cls, rule in RULES:
        if isinstance(handler, cls):
            if labfleet_method(handler, method):
                return []
            return rule(handler, method, handler.get_status())
    return []


def audited(log_function: Callable[[Any], None]) -> Callable[[Any], None]:
    """JupyterHub's request log, followed by recording the request's audit events."""

    def log_and_audit(handler: Any) -> None:
        log_function(handler)
        try:
            for event in events_of(handler):
                record(
                    handler.db, actor=event.actor, action=event.action, target=event.target,
                    result=event.result, **event.detail,
                )  # fmt: skip
        except Exception:
            app_log.exception("Could not record the audit event of %s", handler.request.path)
            handler.db.rollback()

    return log_and_audit

"""Notebook-save events: at each save the server tells the hub, with the notebook's content.

Listening to jupyter_server's contents events, so every save counts (JupyterLab's, the
REST API's, an extension's) and no save hook of the user's is replaced. The user's save
never waits for the hub: events go into a bounded queue that one task sends from, with
retries while the hub is down or asks to wait (429: too many events this minute); an event
that cannot be kept or sent is dropped with a line in the server's log. The server's own hub
token authenticates it.

Whether saves are sent, and participants' autosave interval, can change while the server
runs: the hub tells the server (``MODE_ROUTE``, with a ticket as for its hand-outs) when
workshop mode is turned on or off, and when the hub starts.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from typing import Any

import aiohttp
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from jupyterhub.httpclient import fetch
from tornado import web
from traitlets import Bool, Float, Integer
from traitlets.config import LoggingConfigurable

CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"
MODE_ROUTE = "labfleet/workshop-mode"
SETTING = "labfleet_save_events"  # the web app's setting that holds the server's SaveEvents
AUTOSAVE_PLUGIN = "@jupyterlab/docmanager-extension:plugin"

# set while the hub's material is written: those writes are not the participant's saves
quiet = contextvars.ContextVar("labfleet_quiet_saves", default=False)


class SaveEvents(LoggingConfigurable):
    """What the server sends the hub at each notebook save (set by the hub's spawner)."""

    enabled = Bool(False, help="Send an event to the hub at each notebook save.").tag(config=True)

    content_limit_kb = Integer(
        2048, min=0, help="Notebooks larger than this many KiB are sent without their content."
    ).tag(config=True)

    queue_size = Integer(
        100, min=1, help="Events kept while the hub does not answer; more are dropped."
    ).tag(config=True)

    retries = Integer(
        6, min=0, help="Times an event is sent again while the hub does not take it."
    ).tag(config=True)

    retry_seconds = Float(
        2.0, min=0.01, help="Wait before the first retry; each later one waits twice as long."
    ).tag(config=True)

    timeout = Float(10.0, min=0.1, help="Seconds the hub has to answer one event.").tag(config=True)

    autosave_seconds = Integer(
        0, min=0, help="JupyterLab's autosave interval (0: JupyterLab's default)."
    ).tag(config=True)

    def __init__(self, *, contents_manager: Any, api_url: str, api_token: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.contents_manager, self.url = contents_manager, f"{api_url}/labfleet/events"
        self.api_token = api_token
        self.queue: asyncio.Queue | None = None
        self._sender: asyncio.Task | None = None

    async def listener(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """jupyter_server's contents event: a saved notebook becomes an event in the queue."""
        path = data.get("path") or ""
        if not self.enabled or quiet.get():  # workshop mode is off, or the hub's material
            return
        if data.get("action") != "save" or not path.endswith(".ipynb"):
            return
        try:
            event = await self.event(path)
        except Exception as e:  # the file went away, or cannot be read: no event
            self.log.warning("labfleet: no save event for %s: %s", path, e)
            return
        self.enqueue(event)

    async def event(self, path: str) -> dict[str, Any]:
        """The event of the notebook at ``path``, with its content when under the limit."""
        manager = self.contents_manager
        model = await ensure_async(manager.get(path, content=False, type="file"))
        size = model.get("size")
        event: dict[str, Any] = {"type": "save", "path": path, "size": size}
        limit = self.content_limit_kb * 1024
        if size is not None and size > limit:
            event["omitted"] = f"the notebook is {size // 1024} KiB, over the limit of " \
                f"{self.content_limit_kb} KiB"  # fmt: skip
            return event
        full = await ensure_async(manager.get(path, content=True, type="file", format="text"))
        event["content"] = full["content"]
        return event

    def enqueue(self, event: dict[str, Any]) -> None:
        if self.queue is None:
            self.queue = asyncio.Queue(self.queue_size)
            self._sender = asyncio.ensure_future(self.send_all())
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.log.warning(
                "labfleet: save event of %s dropped: %d events wait for the hub already",
                event["path"], self.queue_size,
            )  # fmt: skip

    async def send_all(self) -> None:
        assert self.queue is not None
        while True:
            event = await self.queue.get()
            await self.send(event)

    async def send(self, event: dict[str, Any]) -> bool:
        """Send one event, retrying while the hub is away; False if it was dropped."""
        body = json.dumps(event)
        headers = {"Authorization": f"token {self.api_token}", "Content-Type": "application/json"}
        wait = self.retry_seconds
        for attempt in range(self.retries + 1):
            pause = wait
            try:
                # JupyterHub's client: it reaches the hub on its Unix socket too
                response = await fetch(
                    self.url, method="POST", data=body, headers=headers, raise_for_status=False,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                )  # fmt: skip
                status, answer = response.status, await response.text()
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                reason = str(e) or type(e).__name__
            else:
                if status < 300:
                    return True
                if status not in (429, 502, 503, 504):  # the hub refused it: no retry helps
                    self.log.warning(
                        "labfleet: save event of %s refused by the hub (HTTP %s): %s",
                        event["path"], status, _message(answer),
                    )  # fmt: skip
                    return False
                reason = f"HTTP {status} {_message(answer)}".strip()
                if status == 429:  # too many events this minute: again when the hub says
                    pause = max(wait, _seconds(response.headers.get("Retry-After")))
            if attempt < self.retries:
                await asyncio.sleep(pause)
                wait *= 2
        self.log.warning(
            "labfleet: save event of %s dropped: the hub did not answer after %d tries (%s)",
            event["path"], self.retries + 1, reason,
        )  # fmt: skip
        return False


def _seconds(value: str | None) -> float:
    """A Retry-After of whole seconds (0 if there is none)."""
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _message(answer: str) -> str:
    try:
        return json.loads(answer)["message"]
    except Exception:
        return ""


def _rules(router: Any) -> Any:
    for rule in getattr(router, "rules", ()):
        yield rule
        yield from _rules(rule.target)


def set_autosave(web_app: Any, seconds: int) -> bool:
    """Make ``seconds`` JupyterLab's default autosave interval (0: JupyterLab's own), as an
    overrides.json would: in the overrides its settings handlers serve (a JupyterLab loaded
    afterwards reads it). False if JupyterLab is not there."""
    from jupyterlab_server.settings_handler import SettingsHandler

    found = False
    for rule in [*_rules(web_app.default_router), *_rules(web_app.wildcard_router)]:
        if rule.target is SettingsHandler and rule.target_kwargs:
            overrides = rule.target_kwargs.setdefault("overrides", {})
            plugin = overrides.setdefault(AUTOSAVE_PLUGIN, {})
            if seconds:
                plugin["autosaveInterval"] = seconds
            else:
                plugin.pop("autosaveInterval", None)
            found = True
    return found


class WorkshopModeHandler(JupyterHandler):
    """POST ``{"enabled", "content_limit_kb", "autosave_seconds"}``: workshop mode as the hub
    says it is now (the hub's ticket only); answers what the server does now."""

    auth_resource = "contents"

    def post(self) -> None:
        if not getattr(self, "labfleet_ticket", False):
            raise web.HTTPError(403, "Only the hub sets workshop mode")
        try:
            body = json.loads(self.request.body)
            enabled, limit, autosave = (
                body["enabled"], body["content_limit_kb"], body["autosave_seconds"]
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            raise web.HTTPError(400, "Not a workshop mode") from None
        numbers = [v for v in (limit, autosave) if isinstance(v, int) and not isinstance(v, bool)]
        if not isinstance(enabled, bool) or len(numbers) != 2 or min(numbers) < 0:
            raise web.HTTPError(400, "Not a workshop mode")
        events: SaveEvents | None = self.settings.get(SETTING)
        if events is None:
            raise web.HTTPError(404, "Not a server of a hub")
        events.enabled, events.content_limit_kb = enabled, limit
        autosave_set = set_autosave(self.application, autosave)
        self.log.info("labfleet: workshop mode %s (autosave %s)", "on" if enabled else "off",
                      f"{autosave} s" if autosave else "JupyterLab's own")  # fmt: skip
        self.finish({"enabled": enabled, "autosave_set": autosave_set})

"""What an admin may broadcast: checked input, and the JSON the extension's ingest takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

TYPES = ("default", "info", "success", "warning", "error", "in-progress")
MAX_LENGTH = 140
AUTO_CLOSE_MS = 5000  # how long a toast that closes itself stays, as the extension's default


@dataclass(frozen=True)
class Message:
    """One notification: its text, look, whether it closes itself, and a link to offer."""

    text: str
    type: str = "info"
    auto_close: bool = True
    link: str | None = None


def parse_message(body: dict[str, Any]) -> Message:
    """The message of an API request's body; ValueError saying what is wrong."""
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('Give the message to send: {"message": "..."}')
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise ValueError(f"The message has {len(text)} characters; at most {MAX_LENGTH} fit")
    kind = body.get("type", "info")
    if kind not in TYPES:
        raise ValueError(f"Unknown type {kind!r}: one of {', '.join(TYPES)}")
    auto_close = body.get("auto_close", True)
    if not isinstance(auto_close, bool):
        raise ValueError('"auto_close" is true (the toast closes itself) or false (it stays)')
    link = body.get("link") or None
    if link is not None and not (
        isinstance(link, str) and urlsplit(link).scheme in ("http", "https") and len(link) < 2048
    ):
        raise ValueError('"link" must be an http:// or https:// address')
    return Message(text=text, type=kind, auto_close=auto_close, link=link)


def parse_time(value: Any, now: datetime) -> datetime | None:
    """When a broadcast is to go out (None: now); ValueError unless a future ISO 8601 time."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'"at" must be an ISO 8601 time, such as {now:%Y-%m-%dT%H:%M}Z') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment <= now:
        raise ValueError(f'"at" ({moment.isoformat()}) is not in the future')
    return moment


def ingest_body(message: Message, broadcast_id: int) -> bytes:
    """The extension's ingest request of a broadcast."""
    return ingest(message, {"labfleet_broadcast": broadcast_id})


def ingest(message: Message, data: dict[str, Any], opens: str | None = None) -> bytes:
    """The extension's ingest request: shown at once in open tabs (``immediate``), with
    ``data``; offering to open the message's link, or the file ``opens`` of the home."""
    payload: dict[str, Any] = {
        "message": message.text,
        "type": message.type,
        "autoClose": AUTO_CLOSE_MS if message.auto_close else False,
        "immediate": True,
        "data": data,
    }
    if message.link:
        payload["actions"] = [
            {
                "label": "Open",
                "caption": message.link,
                "displayType": "link",
                # JupyterLab's own command that opens an address in a new browser tab
                "commandId": "help:open",
                "args": {"url": message.link, "text": message.link, "newBrowserTab": True},
            }
        ]
    elif opens:
        payload["actions"] = [
            {
                "label": "Open",
                "caption": opens,
                "displayType": "link",
                # JupyterLab's own command that opens a file of the home in a tab
                "commandId": "docmanager:open",
                "args": {"path": opens},
            }
        ]
    return json.dumps(payload).encode()

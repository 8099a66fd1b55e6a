"""Material the hub hands out, written into the user's home by their own server.

The hub posts the files with a ticket (:mod:`labfleet.notify.tickets`) that admits that one
body to this route once. A file already in the home is never changed, moved or renamed:
when it differs from the one handed out, the new version is written beside it, under a
name that says so (``intro.new-2026-03-01-0930.ipynb``), and the hub tells the user where.
The server writes through its contents manager, as the user, on every backend alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import posixpath
import re
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web

from .save_events import quiet

ROUTE = "labfleet/material"
STAMP = re.compile(r"[0-9A-Za-z-]{1,32}")
MAX_BESIDE = 100  # names tried beside a file before the file fails


def beside_name(path: str, stamp: str, number: int = 1) -> str:
    """Where a new version of ``path`` goes when the user has another file there:
    ``intro.new-2026-03-01-0930.ipynb``, then ``intro.new-2026-03-01-0930-2.ipynb``, ..."""
    folder, name = posixpath.split(path)
    stem, dot, suffix = name.rpartition(".")
    if not stem:
        stem, dot, suffix = name, "", ""
    tag = f"new-{stamp}" if number == 1 else f"new-{stamp}-{number}"
    return posixpath.join(folder, f"{stem}.{tag}{dot}{suffix}")


class MaterialHandler(JupyterHandler):
    """POST ``{"folder", "stamp", "files": [{"path", "content" (base64)}]}``: each file into
    ``folder`` (beside the user's own file of that name, named with ``stamp``); answers
    each file's outcome."""

    auth_resource = "contents"

    async def post(self) -> None:
        if not getattr(self, "labfleet_ticket", False):
            raise web.HTTPError(403, "Only the hub hands out material")
        try:
            body = json.loads(self.request.body)
            folder, files, stamp = body["folder"], body["files"], body["stamp"]
        except (ValueError, KeyError, TypeError):
            raise web.HTTPError(400, "Not a hand-out of material") from None
        if not isinstance(stamp, str) or not STAMP.fullmatch(stamp):
            raise web.HTTPError(400, "Not a hand-out of material: a bad stamp")
        token = quiet.set(True)
        try:
            outcomes = [await self.place(folder, f, stamp) for f in files]
        finally:
            quiet.reset(token)
        self.finish({"files": outcomes})

    async def place(self, folder: str, item: dict[str, Any], stamp: str) -> dict[str, Any]:
        path = posixpath.join(folder, item["path"]) if folder else item["path"]
        try:
            data = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, KeyError, TypeError):
            return {"path": path, "outcome": "failed", "reason": "not base64"}
        new = hashlib.sha256(data).hexdigest()
        try:
            await self.folders(posixpath.dirname(path))
            have = await self.digest(path)
            if have is None:
                await self.save_file(path, item["content"])
                return {"path": path, "outcome": "written"}
            if have == new:
                return {"path": path, "outcome": "same"}
            # the user's file stays as it is, byte for byte: the new version goes beside it
            for number in range(1, MAX_BESIDE + 1):
                beside = beside_name(path, stamp, number)
                there = await self.digest(beside)
                if there is None:
                    await self.save_file(beside, item["content"])
                if there in (None, new):  # written now, or by an earlier delivery
                    return {"path": path, "outcome": "beside", "beside": beside}
        except web.HTTPError as e:
            return {"path": path, "outcome": "failed", "reason": e.log_message or str(e)}
        except OSError as e:
            return {"path": path, "outcome": "failed", "reason": e.strerror or str(e)}
        return {"path": path, "outcome": "failed", "reason": "no free name beside the file"}

    async def digest(self, path: str) -> str | None:
        """The SHA-256 of the file at ``path`` (None: nothing there); HTTPError for a folder."""
        manager = self.contents_manager
        if await ensure_async(manager.dir_exists(path)):
            raise web.HTTPError(409, "a folder has that name")
        if not await ensure_async(manager.file_exists(path)):
            return None
        model = await ensure_async(manager.get(path, content=True, type="file", format="base64"))
        return hashlib.sha256(base64.b64decode(model["content"])).hexdigest()

    async def save_file(self, path: str, content: str) -> None:
        model = {"type": "file", "format": "base64", "content": content}
        await ensure_async(self.contents_manager.save(model, path))

    async def folders(self, folder: str) -> None:
        """Make ``folder`` and its parents in the home, as the contents API would."""
        manager, done = self.contents_manager, ""
        for part in [p for p in folder.split("/") if p]:
            done = posixpath.join(done, part)
            if not await ensure_async(manager.dir_exists(done)):
                await ensure_async(manager.save({"type": "directory"}, done))

"""Material the hub hands out, written into the user's home by their own server.

The hub posts the files with a ticket (:mod:`labfleet.notify.tickets`) that admits that one
body to this route once. A file the participant has changed since it was handed out is
never overwritten: their copy is kept beside the new one, under a name that says so. The
server writes through its contents manager, as the user, on every backend alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import posixpath
import time
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web

from .save_events import quiet

ROUTE = "labfleet/material"


def kept_name(path: str, moment: float) -> str:
    """Where a participant's changed copy of ``path`` is kept: ``intro.mine-20260301-0930.ipynb``."""
    folder, name = posixpath.split(path)
    stem, dot, suffix = name.rpartition(".")
    if not stem:
        stem, dot, suffix = name, "", ""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(moment))
    return posixpath.join(folder, f"{stem}.mine-{stamp}{dot}{suffix}")


class MaterialHandler(JupyterHandler):
    """POST ``{"folder", "files": [{"path", "content" (base64), "earlier": [sha256...]}]}``:
    each file into ``folder``; answers each file's outcome."""

    auth_resource = "contents"

    async def post(self) -> None:
        if not getattr(self, "labfleet_ticket", False):
            raise web.HTTPError(403, "Only the hub hands out material")
        try:
            body = json.loads(self.request.body)
            folder, files = body["folder"], body["files"]
        except (ValueError, KeyError, TypeError):
            raise web.HTTPError(400, "Not a hand-out of material") from None
        token = quiet.set(True)
        try:
            outcomes = [await self.place(folder, f) for f in files]
        finally:
            quiet.reset(token)
        self.finish({"files": outcomes})

    async def place(self, folder: str, item: dict[str, Any]) -> dict[str, Any]:
        manager = self.contents_manager
        path = posixpath.join(folder, item["path"]) if folder else item["path"]
        try:
            data = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, KeyError, TypeError):
            return {"path": path, "outcome": "failed", "reason": "not base64"}
        new = hashlib.sha256(data).hexdigest()
        try:
            await self.folders(posixpath.dirname(path))
            kept, existed = None, False
            if await ensure_async(manager.dir_exists(path)):
                return {"path": path, "outcome": "failed", "reason": "a folder has that name"}
            if await ensure_async(manager.file_exists(path)):
                existed = True
                model = await ensure_async(
                    manager.get(path, content=True, type="file", format="base64")
                )
                have = hashlib.sha256(base64.b64decode(model["content"])).hexdigest()
                if have == new:
                    return {"path": path, "outcome": "same"}
                if have not in item.get("earlier", []):
                    kept = kept_name(path, time.time())
                    await ensure_async(manager.rename(path, kept))
            model = {"type": "file", "format": "base64", "content": item["content"]}
            await ensure_async(manager.save(model, path))
        except web.HTTPError as e:
            return {"path": path, "outcome": "failed", "reason": e.log_message or str(e)}
        except OSError as e:
            return {"path": path, "outcome": "failed", "reason": e.strerror or str(e)}
        if kept:
            return {"path": path, "outcome": "kept yours", "kept": kept}
        return {"path": path, "outcome": "updated" if existed else "written"}

    async def folders(self, folder: str) -> None:
        """Make ``folder`` and its parents in the home, as the contents API would."""
        manager, done = self.contents_manager, ""
        for part in [p for p in folder.split("/") if p]:
            done = posixpath.join(done, part)
            if not await ensure_async(manager.dir_exists(done)):
                await ensure_async(manager.save({"type": "directory"}, done))

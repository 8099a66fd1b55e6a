"""Handing out material: files into a folder of each participant's home, never over their work.

The hub keeps what it handed out and, for each recipient, whether it arrived. Running
servers get it at once, through the proxy with a ticket for labfleet's material route
(:mod:`labfleet.singleuser.material`), as broadcasts travel; the others when their server
starts next. With each file goes the digest of every earlier version handed out at that
path: a file that matches none of them was changed by the participant, and is kept.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jupyterhub import orm
from sqlalchemy.orm import Session

from ..db.models import Material, MaterialResult, utcnow
from ..notify.broadcaster import Broadcaster
from ..notify.delivery import NOT_RUNNING, Outcome, deliver
from ..notify.recipients import Recipients, check_known, parse_recipients
from ..singleuser.material import ROUTE
from ..timestamps import iso, utc
from .config import Workshop
from .events import clean_path
from .people import is_participant, users_with_groups

EXTENSION = "labfleet extension (labfleet.singleuser)"
MAX_FILES = 500


@dataclass(frozen=True)
class Request:
    """A hand-out as posted, checked: the folder, files (path -> bytes), recipients."""

    folder: str
    files: Mapping[str, bytes]
    recipients: Recipients | None  # None: the participants


def parse_request(body: Mapping[str, Any], limit_bytes: int) -> Request:
    """ValueError saying what is wrong with a hand-out request."""
    unknown = set(body) - {"folder", "files", "recipients"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    folder = body.get("folder", "")
    if not isinstance(folder, str):
        raise ValueError('"folder" must be a folder of the home, such as "day1"')
    folder = clean_path(folder) if folder.strip("/ ") else ""
    files = body.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_FILES:
        raise ValueError(f'"files" must list 1 to {MAX_FILES} files, each {{"path", "content"}}')
    decoded: dict[str, bytes] = {}
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ValueError('each file must be {"path": ..., "content": base64}')
        path = clean_path(item["path"])
        try:
            decoded[path] = base64.b64decode(str(item.get("content", "")), validate=True)
        except binascii.Error:
            raise ValueError(f'"content" of {path} is not base64') from None
    total = sum(map(len, decoded.values()))
    if total > limit_bytes:
        raise ValueError(
            f"the files are {total // 1024} KiB together, over the limit of {limit_bytes // 1024} "
            "KiB (workshop.material_limit_kb)"
        )
    raw = body.get("recipients")
    recipients = None if raw in (None, {"participants": True}) else parse_recipients(raw)
    return Request(folder, decoded, recipients)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def target_path(folder: str, path: str) -> str:
    return f"{folder}/{path}" if folder else path


def to_json(row: Material, results: list[MaterialResult] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id, "created": iso(utc(row.created)), "actor": row.actor,
        "folder": row.folder, "recipients": row.recipients,
        "files": [{"path": f["path"], "size": f["size"]} for f in row.files],
    }  # fmt: skip
    if results is not None:
        data["results"] = [
            {
                "user": r.username,
                "status": r.status,
                "reason": r.reason,
                "files": r.files,
                "at": iso(utc(r.at)),
            }  # fmt: skip
            for r in sorted(results, key=lambda r: r.username)
        ]
        data["counts"] = {
            status: sum(r.status == status for r in results)
            for status in ("delivered", "waiting", "failed")
        }
    return data


class Handout:
    """Hands out material for the hub and keeps where it arrived."""

    def __init__(self, *, db: Session, broadcaster: Broadcaster, config: Workshop,
                 log: logging.Logger):  # fmt: skip
        self.db, self.broadcaster, self.config, self.log = db, broadcaster, config, log

    def recipients(self, request: Request) -> list[orm.User]:
        """The users ``request`` goes to (ValueError naming unknown groups or users)."""
        users = users_with_groups(self.db)
        if request.recipients is None:
            return [u for u in users if is_participant(u, self.config)]
        check_known(self.db, request.recipients)
        return [u for u in users if request.recipients.includes(u)]

    def create(self, actor: str, request: Request, users: list[orm.User]) -> Material:
        """Keep ``request`` for ``users``, each waiting for it, with the digests handed out
        before at each file's path (what a participant's unchanged copy matches)."""
        earlier: dict[str, list[str]] = {}
        for folder, files in self.db.query(Material.folder, Material.files).order_by(Material.id):
            for f in files:
                earlier.setdefault(target_path(folder, f["path"]), []).append(f["sha256"])
        files = [
            {
                "path": path,
                "size": len(data),
                "sha256": digest(data),
                "earlier": earlier.get(target_path(request.folder, path), []),
            }  # fmt: skip
            for path, data in request.files.items()
        ]
        row = Material(
            actor=actor,
            folder=request.folder,
            recipients=request.recipients.to_json()
            if request.recipients
            else {"participants": True},
            files=files,
            contents=[base64.b64encode(data).decode() for data in request.files.values()],
        )
        self.db.add(row)
        self.db.flush()
        for user in users:
            self.db.add(MaterialResult(material_id=row.id, username=user.name, status="waiting",
                                       reason=NOT_RUNNING, files=[]))  # fmt: skip
        self.db.commit()
        return row

    @staticmethod
    def body(row: Material) -> bytes:
        """What each server is sent: the files, with the digests handed out before at their path."""
        files = [
            {"path": f["path"], "content": content, "earlier": f["earlier"]}
            for f, content in zip(row.files, row.contents)
        ]
        return json.dumps({"folder": row.folder, "files": files}).encode()

    async def send(self, row: Material, usernames: list[str] | None = None) -> None:
        """Deliver ``row`` to its waiting recipients whose servers run (or ``usernames`` of them)."""
        waiting = self.db.query(MaterialResult).filter(
            MaterialResult.material_id == row.id, MaterialResult.status != "delivered"
        )
        if usernames is not None:
            waiting = waiting.filter(MaterialResult.username.in_(usernames))
        results = {r.username: r for r in waiting}
        targets = []
        for orm_user in self.db.query(orm.User).filter(orm.User.name.in_(list(results))):
            user = self.broadcaster.users[orm_user]
            target = self.broadcaster.target(user, routed=usernames is not None, route=ROUTE)
            if target is not None:
                targets.append(target)
        if not targets:
            return
        config = self.broadcaster.config
        started = time.monotonic()
        outcomes = await deliver(
            targets, self.body(row), proxy_address=self.broadcaster.route.address,
            concurrency=config.concurrency, timeout=max(config.timeout, 30.0),
            ticket_seconds=config.ticket_seconds, tls=self.broadcaster.tls(),
            extension=EXTENSION,
        )  # fmt: skip
        for outcome in outcomes:
            self.note(results[outcome.username], outcome)
        self.db.commit()
        self.log.info(
            "Material %d handed out to %d of %d running servers in %.2f s", row.id,
            sum(o.delivered for o in outcomes), len(outcomes), time.monotonic() - started,
        )  # fmt: skip

    @staticmethod
    def note(result: MaterialResult, outcome: Outcome) -> None:
        result.at = utcnow()
        if not outcome.delivered:
            result.status, result.reason = "failed", outcome.reason
            return
        try:
            files = json.loads(outcome.answer)["files"]
        except (ValueError, KeyError, TypeError):
            files = []
        failed = [f for f in files if f.get("outcome") == "failed"]
        result.files = files
        result.status = "failed" if failed else "delivered"
        result.reason = "; ".join(f"{f['path']}: {f.get('reason', '')}" for f in failed)

    def server_routed(self, user: Any) -> None:
        """A server is reachable: hand it what waits for its user."""
        waiting = (
            self.db.query(MaterialResult.material_id)
            .filter(MaterialResult.username == user.name, MaterialResult.status != "delivered")
            .order_by(MaterialResult.material_id)
            .all()
        )
        if waiting:
            asyncio.ensure_future(self._catch_up(user.name, [m for (m,) in waiting]))

    async def _catch_up(self, name: str, material_ids: list[int]) -> None:
        for material_id in material_ids:
            row = self.db.get(Material, material_id)
            if row is not None:
                await self.send(row, [name])

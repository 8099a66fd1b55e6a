"""Handing out material: files into a folder of each participant's home, never over their work.

The hub keeps what it handed out and, for each recipient, whether it arrived. Running
servers get it at once, through the proxy with a ticket for labfleet's material route
(:mod:`labfleet.singleuser.material`), as broadcasts travel; the others when their server
starts next. A file the participant has already is never changed: a different version
arrives beside it, and the participant's JupyterLab says where (a notification through the
notifications extension, as broadcasts reach it).

A hand-out stands until it is withdrawn: whoever becomes one of its recipients later (a
user made after it, a temporary user, a new member of its group) gets it when their server
starts. Withdrawing it changes nothing in anyone's home.
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Material, MaterialResult, StandingMaterial, utcnow
from ..notify import messages
from ..notify.broadcaster import Broadcaster
from ..notify.delivery import NOT_RUNNING, Outcome, Target
from ..notify.recipients import Recipients, check_known, parse_recipients
from ..singleuser.material import ROUTE
from ..timestamps import iso, utc
from .config import Workshop
from .events import clean_path
from .people import is_participant, users_with_groups

EXTENSION = "labfleet extension (labfleet.singleuser)"
MAX_FILES = 500
PENDING = ("waiting", "failed")  # results a server start tries again
STATUSES = ("delivered", "waiting", "failed", "withdrawn")


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


def stamp(row: Material) -> str:
    """What names a new version put beside a participant's file: when it was handed out,
    in the hub's time zone (``2026-03-01-0930``)."""
    return utc(row.created).astimezone().strftime("%Y-%m-%d-%H%M")


def few(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def notice(files: list[dict[str, Any]]) -> tuple[str, str] | None:
    """What a participant is told of one delivery to their server, and the file it offers to
    open (None: nothing new arrived)."""
    beside = [f for f in files if f.get("outcome") == "beside"]
    written = [f["path"] for f in files if f.get("outcome") == "written"]
    if not beside:
        return (f"New from your instructor: {few(written)}.", written[0]) if written else None
    first = beside[0]
    if len(beside) == 1:
        text = (f"A new version of {first['path']} from your instructor is beside yours, at "
                f"{first['beside']}. Your file is unchanged.")  # fmt: skip
    else:
        text = (f"New versions of {len(beside)} of your files from your instructor are beside "
                f"them (such as {first['beside']}). Your files are unchanged.")  # fmt: skip
    if written:
        text += f" Also new: {few(written)}."
    return text, first["beside"]


def to_json(
    row: Material,
    results: list[MaterialResult] | None = None,
    standing: StandingMaterial | None = None,
) -> dict[str, Any]:
    withdrawn = standing.withdrawn if standing else None
    data: dict[str, Any] = {
        "id": row.id, "created": iso(utc(row.created)), "actor": row.actor,
        "folder": row.folder, "recipients": row.recipients,
        "files": [{"path": f["path"], "size": f["size"]} for f in row.files],
        "standing": standing is not None and withdrawn is None,
        "withdrawn": iso(utc(withdrawn)) if withdrawn else None,
        "withdrawn_by": standing.withdrawn_by if standing else None,
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
        data["counts"] = {status: sum(r.status == status for r in results) for status in STATUSES}
    return data


def shown(db: Session, rows: list[Material]) -> list[dict[str, Any]]:
    """``rows`` as the API shows them: each with where it arrived, and whether it stands."""
    ids = [row.id for row in rows]
    results: dict[int, list[MaterialResult]] = {i: [] for i in ids}
    standing: dict[int, StandingMaterial] = {}
    if ids:
        for result in db.query(MaterialResult).filter(MaterialResult.material_id.in_(ids)):
            results[result.material_id].append(result)
        query = db.query(StandingMaterial).filter(StandingMaterial.material_id.in_(ids))
        standing = {s.material_id: s for s in query}
    return [to_json(row, results[row.id], standing.get(row.id)) for row in rows]


class Handout:
    """Hands out material for the hub and keeps where it arrived."""

    def __init__(self, *, db: Session, broadcaster: Broadcaster, config: Workshop,
                 log: logging.Logger):  # fmt: skip
        self.db, self.broadcaster, self.config, self.log = db, broadcaster, config, log

    def recipients(self, request: Request) -> list[orm.User]:
        """The participants ``request`` goes to now (of the groups named: their participants);
        ValueError naming unknown groups or users, or users named who are no participants."""
        users = users_with_groups(self.db)
        chosen = request.recipients
        if chosen is not None:
            check_known(self.db, chosen)
            others = [u.name for u in users
                      if u.name in chosen.users and not is_participant(u, self.config)]  # fmt: skip
            if others:
                raise ValueError(f"Material goes to participants only, not to {', '.join(others)}")
        return [u for u in users if self.includes(chosen, u)]

    def includes(self, recipients: Recipients | None, user: orm.User) -> bool:
        """Whether ``user`` is one of ``recipients`` (None: the participants) now."""
        return is_participant(user, self.config) and (
            recipients is None or recipients.includes(user)
        )

    def create(self, actor: str, request: Request, users: list[orm.User]) -> Material:
        """Keep ``request``, standing, for ``users`` (each waiting for it) and whoever
        becomes one of its recipients later."""
        files = [{"path": path, "size": len(data), "sha256": digest(data)}
                 for path, data in request.files.items()]  # fmt: skip
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
        self.db.add(StandingMaterial(material_id=row.id))
        for user in users:
            self.db.add(MaterialResult(material_id=row.id, username=user.name, status="waiting",
                                       reason=NOT_RUNNING, files=[]))  # fmt: skip
        self.db.commit()
        return row

    def withdraw(self, row: Material, actor: str) -> StandingMaterial:
        """Nobody else gets ``row``: not the recipients still waiting for it, not those who
        come later; what arrived stays in the homes. ValueError if it stands no longer."""
        standing = self.db.get(StandingMaterial, row.id)
        if standing is None or standing.withdrawn is not None:
            raise ValueError(f"Hand-out {row.id} does not stand: it was withdrawn, or made "
                             "before hand-outs stood")  # fmt: skip
        standing.withdrawn, standing.withdrawn_by = utcnow(), actor
        self.db.query(MaterialResult).filter(
            MaterialResult.material_id == row.id, MaterialResult.status.in_(PENDING)
        ).update({"status": "withdrawn", "reason": f"withdrawn by {actor} before it arrived"})
        self.db.commit()
        return standing

    @staticmethod
    def body(row: Material) -> bytes:
        """What each server is sent: the folder, the files, and the stamp that names a new
        version put beside a participant's file."""
        files = [
            {"path": f["path"], "content": content} for f, content in zip(row.files, row.contents)
        ]
        return json.dumps({"folder": row.folder, "stamp": stamp(row), "files": files}).encode()

    async def send(self, row: Material, usernames: list[str] | None = None) -> None:
        """Deliver ``row`` to its recipients who wait for it and whose servers run (or to
        ``usernames``), and tell each where the files arrived."""
        waiting = self.db.query(MaterialResult).filter(
            MaterialResult.material_id == row.id, MaterialResult.status.in_(PENDING)
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
        started = time.monotonic()
        outcomes = await self.broadcaster.post(targets, self.body(row), extension=EXTENSION,
                                               timeout=max(self.broadcaster.config.timeout, 30.0))
        for outcome in outcomes:
            self.note(results[outcome.username], outcome)
        self.db.commit()
        self.log.info(
            "Material %d handed out to %d of %d running servers in %.2f s", row.id,
            sum(o.delivered for o in outcomes), len(outcomes), time.monotonic() - started,
        )  # fmt: skip
        await self.tell(row, [results[o.username] for o in outcomes if o.delivered],
                        routed=usernames is not None)  # fmt: skip

    async def tell(self, row: Material, delivered: list[MaterialResult], routed: bool) -> None:
        """Tell each participant, in their JupyterLab, where what was new for them arrived."""
        bodies: dict[bytes, list[Target]] = {}
        for result in delivered:
            told = notice(result.files)
            orm_user = orm.User.find(self.db, result.username)
            if told is None or orm_user is None:
                continue
            target = self.broadcaster.target(self.broadcaster.users[orm_user], routed=routed)
            if target is not None:
                text, opened = told
                body = messages.ingest(
                    messages.Message(text, "info", auto_close=False),
                    data={"labfleet_material": row.id}, opens=opened,
                )  # fmt: skip
                bodies.setdefault(body, []).append(target)
        for body, targets in bodies.items():
            for outcome in await self.broadcaster.post(targets, body):
                if not outcome.delivered:
                    self.log.info("Material %d: %s was not told where it arrived: %s",
                                  row.id, outcome.username, outcome.reason)  # fmt: skip

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

    def standing_for(self, user: orm.User) -> list[int]:
        """Add ``user`` to the recipients of every standing hand-out that now includes them
        and that they have no record of (made before they were one of its recipients)."""
        had = select(MaterialResult.material_id).where(MaterialResult.username == user.name)
        rows = (
            self.db.query(Material)
            .join(StandingMaterial, StandingMaterial.material_id == Material.id)
            .filter(StandingMaterial.withdrawn.is_(None), Material.id.not_in(had))
            .order_by(Material.id)
        )
        added = []
        for row in rows:
            recipients = None if row.recipients == {"participants": True} else \
                parse_recipients(row.recipients)  # fmt: skip
            if recipients is not None and not recipients.all:
                # the users it names are those it was made for: a later user of such a name
                # is someone else, and gets nothing a deleted user of the name was meant to
                if not recipients.groups:
                    continue
                recipients = Recipients(groups=recipients.groups)
            if self.includes(recipients, user):
                self.db.add(MaterialResult(material_id=row.id, username=user.name,
                                           status="waiting", reason=NOT_RUNNING))  # fmt: skip
                added.append(row.id)
        if added:
            self.db.commit()
        return added

    def server_routed(self, user: Any) -> None:
        """A server is reachable: hand it what waits for its user, standing hand-outs too."""
        self.standing_for(user.orm_user)
        waiting = (
            self.db.query(MaterialResult.material_id)
            .filter(MaterialResult.username == user.name, MaterialResult.status.in_(PENDING))
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

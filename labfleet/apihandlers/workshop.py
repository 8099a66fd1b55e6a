"""The instructor's data: the grid of participants' notebooks, one save's tail and changes,
every tail of one notebook, the export, handing out material (and withdrawing it), workshop
mode turned on and off, and links that bring a git repository."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session
from tornado import web

from .. import audit, blocking, material_links, servers
from ..arguments import row_id
from ..authz import needs_scope
from ..db.models import Material, StandingMaterial
from ..scopes import ADMIN_USERS, WORKSHOP
from ..workshop import events, export, handout, people, views
from .base import LabFleetAPIHandler


class WorkshopAPIHandler(LabFleetAPIHandler):
    """GET: participants x notebooks (each cell the last save) and who is stuck."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        running = {s.user.name for s in servers.running(self.db)}
        self.write(views.grid(self.db, self.labfleet.workshop.config, running))


class SaveAPIHandler(LabFleetAPIHandler):
    """GET: one save with its tail, what changed since the save before, and its error."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self, event_id: str) -> None:
        row = events.find(self.db, event_id)
        if row is None:
            raise web.HTTPError(404, f"No event {event_id}")
        self.write(views.notebook_view(self.db, row, self.labfleet.workshop.config))


class TailsAPIHandler(LabFleetAPIHandler):
    """GET ?path=: every participant's tail of one notebook."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        path = self.get_argument("path", "")
        if not path:
            raise web.HTTPError(400, "path: which notebook, e.g. ?path=day1/intro.ipynb")
        tails = views.tails(self.db, self.labfleet.workshop.config, path)
        self.write({"path": path, "participants": tails})


class ExportAPIHandler(LabFleetAPIHandler):
    """GET (?path=): a zip of every participant's latest notebooks (all, or one), .ipynb and
    HTML; a notebook that cannot be shown gets a note saying why instead of its HTML."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        tools = self.labfleet.workshop
        names = [u.name for u in people.participants(self.db, tools.config)]
        path = self.get_argument("path", "")
        rows = events.latest(self.db, names, path or None, content=True)
        pages: dict[int, str] = {}
        problems: dict[int, str] = {}
        for row in rows:
            if row.has_content:
                try:
                    pages[row.id] = await tools.html(row)
                except ValueError as e:
                    problems[row.id] = str(e)
        data = await blocking.run(
            blocking.FILES, export.export_zip, rows, pages, problems, timeout=120
        )
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="workshop-{stamp}.zip"')
        self.finish(data)


def find_material(db: Session, material_id: str) -> Material:
    """The hand-out of the path's id; 404 if there is none."""
    material = row_id(material_id)
    row = None if material is None else db.get(Material, material)
    if row is None:
        raise web.HTTPError(404, f"No hand-out {material_id}")
    return row


class MaterialListAPIHandler(LabFleetAPIHandler):
    """GET: what was handed out, newest first, with counts (the last 100; ``?standing=1``:
    every hand-out that stands). POST: hand out files."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        query = self.db.query(Material).order_by(Material.id.desc())
        if self.get_argument("standing", "") in ("1", "true"):
            query = query.join(StandingMaterial, StandingMaterial.material_id == Material.id)
            rows = query.filter(StandingMaterial.withdrawn.is_(None)).all()
        else:
            rows = query.limit(100).all()
        self.write({"material": handout.shown(self.db, rows)})

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def post(self) -> None:
        tools = self.labfleet.workshop
        try:
            request = handout.parse_request(
                self.json_object(), tools.config.material_limit_kb * 1024
            )
            users = tools.handout.recipients(request)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        if not users and request.recipients is not None:
            raise web.HTTPError(400, "Nobody to hand out to: no participants among the recipients")
        # to every participant, before any has come: it stands for those who come
        actor = self.current_user.name
        row = tools.handout.create(actor, request, users)
        await tools.handout.send(row)
        (shown,) = handout.shown(self.db, [row])
        audit.record(
            self.db, actor=actor, action="workshop.handout", target=f"{len(users)} users",
            material=row.id, folder=row.folder, files=len(row.files), **shown["counts"],
        )  # fmt: skip
        self.write(shown)


class MaterialAPIHandler(LabFleetAPIHandler):
    """GET: one hand-out, with where it arrived for each recipient."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self, material_id: str) -> None:
        self.write(handout.shown(self.db, [find_material(self.db, material_id)])[0])


class WithdrawAPIHandler(LabFleetAPIHandler):
    """POST: withdraw a standing hand-out: nobody else gets it (not the recipients still
    waiting, not those who come later); what arrived stays in the homes."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def post(self, material_id: str) -> None:
        row = find_material(self.db, material_id)
        actor = self.current_user.name
        try:
            self.labfleet.workshop.handout.withdraw(row, actor)
        except ValueError as e:
            raise web.HTTPError(409, str(e)) from None
        audit.record(self.db, actor=actor, action="workshop.withdraw",
                     target=f"hand-out {row.id}", material=row.id)  # fmt: skip
        self.write(handout.shown(self.db, [row])[0])


class ModeAPIHandler(LabFleetAPIHandler):
    """GET: whether workshop mode is on. PUT ``{"enabled": bool}``: turn it on or off, kept
    in labfleet.yaml and told to every running server at once (none is restarted)."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        self.write({"enabled": self.labfleet.workshop.config.enabled})

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def put(self) -> None:
        body = self.json_object()
        enabled = body.get("enabled")
        if set(body) != {"enabled"} or not isinstance(enabled, bool):
            raise web.HTTPError(400, 'Give {"enabled": true} or {"enabled": false}')
        try:
            outcomes = await self.labfleet.workshop.set_enabled(enabled)
        except ValueError as e:
            raise web.HTTPError(409, str(e)) from None
        missed = [{"user": o.username, "reason": o.reason} for o in outcomes if not o.delivered]
        told = len(outcomes) - len(missed)
        audit.record(
            self.db, actor=self.current_user.name, action="workshop.mode", target="workshop",
            enabled=enabled, told=told, not_told=len(missed),
        )  # fmt: skip
        self.write({"enabled": enabled, "told": told, "not_told": missed})


class LinksAPIHandler(LabFleetAPIHandler):
    """GET ``?repo=&branch=&file=&env=``: the links that pull a git repository into a user's
    home and open a file of it, for users with an account and for temporary users (null
    while they are turned off)."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        arguments = {key: self.get_argument(key, "") for key in ("repo", "branch", "file")}
        env = self.get_argument("env", "")
        try:
            link = material_links.parse_link(arguments)
            profile = self.labfleet.environments.find(env) if env else None
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        prefix, name = self.hub.base_url, profile.name if profile else None
        temporary = getattr(self.authenticator, "temporary_users", False)
        self.write({
            "folder": link.folder,
            "link": material_links.user_link(prefix, link, name),
            "temporary_link": material_links.temporary_link(prefix, link, name) if temporary
            else None,
        })  # fmt: skip


default_handlers = [
    (r"/api/labfleet/workshop", WorkshopAPIHandler),
    (r"/api/labfleet/workshop/saves/([0-9]+)", SaveAPIHandler),
    (r"/api/labfleet/workshop/tails", TailsAPIHandler),
    (r"/api/labfleet/workshop/export", ExportAPIHandler),
    (r"/api/labfleet/workshop/material", MaterialListAPIHandler),
    (r"/api/labfleet/workshop/material/([0-9]+)", MaterialAPIHandler),
    (r"/api/labfleet/workshop/material/([0-9]+)/withdraw", WithdrawAPIHandler),
    (r"/api/labfleet/workshop/mode", ModeAPIHandler),
    (r"/api/labfleet/workshop/links", LinksAPIHandler),
]

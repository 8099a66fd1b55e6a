"""The instructor's data: the grid of participants' notebooks, one save's tail and changes,
every tail of one notebook, the export, and handing out material."""

from __future__ import annotations

from datetime import datetime, timezone

from tornado import web

from .. import audit, blocking, servers
from ..arguments import row_id
from ..authz import needs_scope
from ..db.models import Material, MaterialResult
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
    """GET (?path=): a zip of every participant's latest notebooks (all, or one), .ipynb and HTML."""

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


class MaterialListAPIHandler(LabFleetAPIHandler):
    """GET: what was handed out, newest first, with counts. POST: hand out files."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self) -> None:
        rows = self.db.query(Material).order_by(Material.id.desc()).limit(100).all()
        results: dict[int, list[MaterialResult]] = {r.id: [] for r in rows}
        if rows:
            query = self.db.query(MaterialResult).filter(MaterialResult.material_id.in_(results))
            for result in query:
                results[result.material_id].append(result)
        self.write({"material": [handout.to_json(r, results[r.id]) for r in rows]})

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
        if not users:
            raise web.HTTPError(400, "Nobody to hand out to: there are no participants yet")
        actor = self.current_user.name
        row = tools.handout.create(actor, request, users)
        await tools.handout.send(row)
        results = self.db.query(MaterialResult).filter_by(material_id=row.id).all()
        shown = handout.to_json(row, results)
        audit.record(
            self.db, actor=actor, action="workshop.handout", target=f"{len(users)} users",
            material=row.id, folder=row.folder, files=len(row.files), **shown["counts"],
        )  # fmt: skip
        self.write(shown)


class MaterialAPIHandler(LabFleetAPIHandler):
    """GET: one hand-out, with where it arrived for each recipient."""

    @needs_scope(WORKSHOP, ADMIN_USERS)
    async def get(self, material_id: str) -> None:
        material = row_id(material_id)
        row = None if material is None else self.db.get(Material, material)
        if row is None:
            raise web.HTTPError(404, f"No hand-out {material_id}")
        results = self.db.query(MaterialResult).filter_by(material_id=row.id).all()
        self.write(handout.to_json(row, results))


default_handlers = [
    (r"/api/labfleet/workshop", WorkshopAPIHandler),
    (r"/api/labfleet/workshop/saves/([0-9]+)", SaveAPIHandler),
    (r"/api/labfleet/workshop/tails", TailsAPIHandler),
    (r"/api/labfleet/workshop/export", ExportAPIHandler),
    (r"/api/labfleet/workshop/material", MaterialListAPIHandler),
    (r"/api/labfleet/workshop/material/([0-9]+)", MaterialAPIHandler),
]

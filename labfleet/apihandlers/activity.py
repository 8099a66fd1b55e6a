"""Activity: every user's state, score and live use, paged and sorted; the chart; CSV;
a round of samples now; all samples reset."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from tornado import web

from .. import audit
from ..activity import sampling, views
from ..authz import needs_scope
from ..scopes import ACTIVITY, ADMIN_USERS
from ..timestamps import iso
from .base import LabFleetAPIHandler


class ActivityAPIHandler(LabFleetAPIHandler):
    """GET ?search=&state=&sort=&order=&limit=&offset= (&format=csv): the dashboard's data.
    DELETE: reset every sample and score."""

    @needs_scope(ACTIVITY, ADMIN_USERS)
    async def get(self) -> None:
        try:
            wanted = views.parse_wanted(lambda name: self.get_argument(name, None))
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "csv"):
            raise web.HTTPError(400, "format is json or csv")
        monitor = self.labfleet.activity
        now = datetime.now(timezone.utc)
        rows = views.user_rows(
            self.db, monitor.config, self.labfleet.culling, monitor.resources.of, now
        )
        chosen = views.select_rows(rows, wanted)
        if fmt == "csv":
            self.write_csv(chosen)
            return
        page = chosen[wanted.offset : wanted.offset + wanted.limit]
        days = monitor.config.retention_days
        hourly = views.hourly_activity(self.db, [r["_id"] for r in page], now, days)
        counts = views.counts(rows)
        self.write(
            {
                "users": [{**views.public(r), "hourly": hourly[r["_id"]]} for r in page],
                "total": len(chosen),
                "counts": counts,
                "limit": wanted.limit,
                "offset": wanted.offset,
                "sort": wanted.sort,
                "order": "desc" if wanted.descending else "asc",
                "chart": views.chart(self.db, now - timedelta(days=days), now, counts),
                "last_round": iso(views.last_round(self.db)),
                "samples": views.samples(self.db, monitor.config),
                "settings": {
                    "sample_interval": monitor.config.sample_interval,
                    "inactive_after": monitor.config.inactive_after,
                    "half_life_hours": monitor.config.half_life_hours,
                    "target_hours": monitor.config.target_hours,
                    "retention_days": days,
                },
            }
        )

    def write_csv(self, rows: list[dict]) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(views.CSV_COLUMNS)
        writer.writerows(
            [row[c] if row[c] is not None else "" for c in views.CSV_COLUMNS] for row in rows
        )
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="labfleet-activity.csv"')
        self.finish(out.getvalue())

    @needs_scope(ACTIVITY, ADMIN_USERS)
    async def delete(self) -> None:
        rounds = sampling.reset(self.db)
        audit.record(
            self.db, actor=self.current_user.name, action="activity.reset", target="", rounds=rounds
        )
        self.write({"deleted_rounds": rounds, "message": f"Deleted {rounds} rounds of samples"})


class SampleAPIHandler(LabFleetAPIHandler):
    """POST: take a round of samples now."""

    @needs_scope(ACTIVITY, ADMIN_USERS)
    async def post(self) -> None:
        taken = self.labfleet.activity.sample()
        self.write(
            {
                "taken": iso(taken.taken),
                "users": taken.users,
                "active": taken.active,
                "running": taken.running,
            }
        )


default_handlers = [
    (r"/api/labfleet/activity", ActivityAPIHandler),
    (r"/api/labfleet/activity/sample", SampleAPIHandler),
]

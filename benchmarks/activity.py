"""Activity benchmark: 10,000 users with 7 days of samples.

Run: ``.venv/bin/python benchmarks/activity.py [-n USERS] [--days DAYS]``.

One labfleet hub; N users and 7 days of rounds every 10 minutes written into its
database (JupyterHub's API takes minutes to create 10,000 users; the rounds are as the
sampler would have taken them, each user active a share of each day of their own), with
the kept weights. Printed:

* sampling: ``POST /hub/api/labfleet/activity/sample`` (one round of every user, the
  weights decayed and added, old rounds pruned), median of 5;
* beside it, what a sampler outside the hub does to read every user's last activity:
  every page of JupyterHub's ``GET /hub/api/users`` (200 a page), on the same hub;
* the dashboard's API: one page of 50 sorted by score, p50 and p90 of 20;
* the CSV export of every user.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Hub, make_root  # noqa: E402
from spawn import benchmark_run, percentile  # noqa: E402

from labfleet.activity import scoring  # noqa: E402

INTERVAL = timedelta(minutes=10)


def active_in(index: int, moment: datetime) -> bool:
    return (moment.hour - index % 24) % 24 < index % 13


def seed(hub: Hub, users: int, days: int) -> int:
    """Create the users and their rounds of samples; how many sample rows."""
    names = [f"a{i:05d}" for i in range(users)]
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    rounds = [now - INTERVAL * k for k in range(days * 144 - 1, -1, -1)]
    with contextlib.closing(sqlite3.connect(hub.data_dir / "hub" / "labfleet.sqlite")) as db:
        with db:
            created = now.replace(tzinfo=None).isoformat(" ")
            # those working at this hour were active a minute ago
            db.executemany(
                "insert into users (name, admin, created, last_activity, cookie_id)"
                " values (?, 0, ?, ?, ?)",
                [
                    (name, created, created if active_in(i, now) else None, uuid.uuid4().hex)
                    for i, name in enumerate(names)
                ],
            )
        ids = dict(db.execute("select name, id from users where name like 'a%'"))
        actives = [[active_in(i, r) for i in range(users)] for r in rounds]
        last = rounds[-1].timestamp()
        weights = [scoring.decay(last - r.timestamp(), 72) for r in rounds]
        with db:
            db.executemany(
                "insert into labfleet_activity_rounds (id, taken, active, running) values (?,?,?,0)",
                [(k + 1, r.replace(tzinfo=None).isoformat(" "), sum(actives[k]))
                 for k, r in enumerate(rounds)],
            )  # fmt: skip
            samples = [
                (k + 1, ids[names[i]])
                for k in range(len(rounds))
                for i in range(users)
                if actives[k][i]
            ]
            db.executemany(
                "insert into labfleet_activity_samples (round_id, user_id) values (?, ?)", samples
            )
            db.executemany(
                "insert into labfleet_activity_weights (user_id, weight) values (?, ?)",
                [
                    (ids[names[i]], sum(w for k, w in enumerate(weights) if actives[k][i]))
                    for i in range(users)
                ],
            )
            db.execute(
                "insert into labfleet_activity_totals (id, weight, as_of) values (1, ?, ?)",
                (sum(weights), rounds[-1].replace(tzinfo=None).isoformat(" ")),
            )
    return len(samples)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="users (default 10000)")
    parser.add_argument("--days", type=int, default=7, help="days of samples (default 7)")
    args = parser.parse_args()
    hub = Hub(make_root("bench-activity"), {"activity": {"sample_interval": 86400}})
    with benchmark_run([hub]):
        hub.start()
        started = time.perf_counter()
        rows = seed(hub, args.n, args.days)
        print(f"{args.n} users, {args.days} days of rounds every 10 minutes: {rows} samples")
        print(f"seeding s: {time.perf_counter() - started:.1f}")

        def ok(response):
            assert response.status_code == 200, response.text
            return response

        sampling = [
            timed(lambda: ok(hub.api("POST", "/labfleet/activity/sample"))) for _ in range(5)
        ]
        print(
            f"labfleet round of samples of every user, median s: {statistics.median(sampling):.3f}"
        )

        def walk() -> None:
            offset = 0
            while True:
                page = ok(hub.api("GET", "/users", params={"offset": offset, "limit": 200})).json()
                if not page:
                    return
                offset += len(page)

        walks = [timed(walk) for _ in range(3)]
        print(f"stock API, every page of /hub/api/users, median s: {statistics.median(walks):.3f}")

        pages = [
            timed(lambda: ok(hub.api("GET", "/labfleet/activity", params={"sort": "score"})))
            for _ in range(20)
        ]
        print(f"dashboard API, a page of 50 by score, p50 ms: {1000 * percentile(pages, 50):.1f}")
        print(f"dashboard API, a page of 50 by score, p90 ms: {1000 * percentile(pages, 90):.1f}")
        export = timed(lambda: ok(hub.api("GET", "/labfleet/activity", params={"format": "csv"})))
        print(f"CSV export of every user s: {export:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

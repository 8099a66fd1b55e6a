"""The activity dashboard and its API with 1000 users and 7 days of samples (written into the
hub's database as 7 days of rounds would have), and in a real browser (screenshot)."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from browser import log_in, needs_chromium, shot
from harness import labfleet_api, use_server, wait_for

from labfleet.activity import scoring

USERS = 1000
DAYS = 7
INTERVAL = timedelta(minutes=10)
HUB_CONFIG = {"activity": {"sample_interval": 36000, "stats_interval": 5}}
ROUNDS_A_DAY = scoring.rounds_a_day(HUB_CONFIG["activity"]["sample_interval"])


def active_in(index: int, moment: datetime) -> bool:
    """User ``index`` works ``index % 13`` hours a day, from a start hour of their own."""
    return (moment.hour - index % 24) % 24 < index % 13


@pytest.fixture(scope="module")
def seeded(hub) -> dict[str, float]:
    """1000 users, 7 days of rounds every 10 minutes; each user's expected score."""
    names = [f"u{i:04d}" for i in range(USERS)]
    created = hub.api("POST", "/users", json={"usernames": names})
    assert created.status_code == 201, created.text
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    rounds = [now - INTERVAL * k for k in range(DAYS * 144 - 1, -1, -1)]
    with contextlib.closing(sqlite3.connect(hub.data_dir / "hub" / "labfleet.sqlite")) as db:
        ids = dict(db.execute("select name, id from users where name like 'u%'"))
        with db:
            db.executemany(
                "insert into labfleet_activity_rounds (id, taken, active, running)"
                " values (?, ?, ?, 0)",
                [
                    (k + 1, r.replace(tzinfo=None).isoformat(" "),
                     sum(active_in(i, r) for i in range(USERS)))
                    for k, r in enumerate(rounds)
                ],
            )  # fmt: skip
            db.executemany(
                "insert into labfleet_activity_samples (round_id, user_id) values (?, ?)",
                [
                    (k + 1, ids[name])
                    for k, r in enumerate(rounds)
                    for i, name in enumerate(names)
                    if active_in(i, r)
                ],
            )
            last = rounds[-1].timestamp()
            expected, weights = {}, []
            for i, name in enumerate(names):
                history = [(r.timestamp(), active_in(i, r)) for r in rounds]
                active, total = scoring.weights_of(history, last, 72)
                weights.append((ids[name], active))
                expected[name] = scoring.score(active, total, ROUNDS_A_DAY, 8)
            db.executemany(
                "insert into labfleet_activity_weights (user_id, weight) values (?, ?)", weights
            )
            db.execute(
                "insert into labfleet_activity_totals (id, weight, as_of) values (1, ?, ?)",
                (total, rounds[-1].replace(tzinfo=None).isoformat(" ")),
            )
    return expected


def test_a_page_of_the_most_active_from_1000_users(hub, seeded):
    answer = labfleet_api(hub, "GET", "/activity", params={"sort": "score", "limit": 50})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["total"] == USERS + 1  # and the admin
    assert len(data["users"]) == 50
    scores = [u["score"] for u in data["users"]]
    assert scores == sorted(scores, reverse=True)
    best = sorted(seeded.values(), reverse=True)[:50]
    assert scores == pytest.approx(best, abs=0.1)
    for user in data["users"]:
        assert user["score"] == pytest.approx(seeded[user["name"]], abs=0.1)
        assert len(user["hourly"]) == DAYS * 24 + 1
    assert len(data["chart"]["times"]) == DAYS * 144 + 1  # and now
    assert not data["samples"]["few"]
    assert data["counts"]["offline"] == USERS + 1


def test_pages_filters_and_the_csv_cover_every_user(hub, seeded):
    seen = set()
    for offset in range(0, USERS + 1, 200):
        page = labfleet_api(
            hub, "GET", "/activity", params={"sort": "name", "limit": 200, "offset": offset}
        ).json()
        seen.update(u["name"] for u in page["users"])
    assert seen == {*seeded, "admin"}
    found = labfleet_api(hub, "GET", "/activity", params={"search": "u042"}).json()
    assert {u["name"] for u in found["users"]} == {f"u042{d}" for d in range(10)}
    quiet = labfleet_api(hub, "GET", "/activity", params={"sort": "score", "order": "asc"}).json()
    assert quiet["users"][0]["score"] == 0  # those with index % 13 == 0 never work
    csv = labfleet_api(hub, "GET", "/activity", params={"format": "csv"}).text.splitlines()
    assert len(csv) == USERS + 2  # header, the users, the admin
    row = next(line for line in csv if line.startswith("u0007,"))
    assert float(row.split(",")[2]) == pytest.approx(seeded["u0007"], abs=0.1)


@needs_chromium
def test_the_dashboard_in_a_browser(hub, seeded, page):
    from playwright.sync_api import expect

    hub.spawn("u0012")
    hub.spawn("u0011")  # started by the admin, never used: idle
    use_server(hub, "u0012")
    wait_for(
        lambda: (
            labfleet_api(hub, "GET", "/activity", params={"search": "u0012"}).json()["users"][0][
                "cpu_percent"
            ]
            is not None
        ),
        60,
        "two measurements of u0012's server",
    )
    log_in(page, hub, next_url="/hub/labfleet/activity")
    expect(page).to_have_title("Activity")
    rows = page.locator("#lf-activity-table tbody tr")
    expect(rows).to_have_count(50)
    best = max(seeded, key=lambda name: (seeded[name], [-ord(c) for c in name]))
    expect(rows.first.locator(".lf-score")).to_have_text(f"{seeded[best]:.0f} %")
    expect(page.locator('.lf-count[data-state="active"]')).to_have_text("1 active")
    expect(page.locator('.lf-count[data-state="idle"]')).to_have_text("1 idle")
    expect(page.locator("#lf-activity-chart canvas")).to_have_count(1)
    # the time axis spans the 7 days: its labels are days of the week (en-GB, UTC)
    chart = page.locator("#lf-activity-chart")
    expect(chart).to_have_attribute("aria-label", re.compile(r"Time axis: (\w{3} \d{1,2}(, )?)+\."))
    expect(rows.first.locator(".lf-sparkline canvas")).to_have_count(1)
    page.fill("#lf-activity-search", "u001")
    expect(rows).to_have_count(10)
    running = page.locator('#lf-activity-table tr[data-user="u0012"]')
    expect(running).to_contain_text("active")
    expect(running).to_contain_text("MiB")
    shot(page, "activity.png", full_page=True)
    page.fill("#lf-activity-search", "")
    page.locator('th[data-sort="score"]').click()  # now the least active first
    expect(rows.first.locator(".lf-score")).to_have_text("0 %")
    assert page.errors == []

"""Activity monitoring on a real hub: who is active (their own use of their running server,
within the activity window: not a server an admin started), scores from real rounds of
samples on day one (the hours seen, said to rest on few samples), the badges and the chart
agreeing, live resource use of a running server, sampling and reset, the metrics; the
dashboard on day one in a browser, its time axis read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from browser import log_in, needs_chromium
from harness import audit_rows, labfleet_api, put_file, use_server, wait_for

HUB_CONFIG = {
    # rounds only when a test asks (sample now), each standing for an hour; a class's
    # 5-minute activity window; live use measured every 5 s
    "activity": {
        "sample_interval": 3600,
        "stats_interval": 5,
        "inactive_after": 300,
        "half_life_hours": 72,
    },  # fmt: skip
}


def set_own_activity(hub, name: str, ago: timedelta) -> None:
    """As if ``name`` last used their own credentials ``ago``: their tokens' last activity,
    as JupyterHub keeps it (naive UTC); their server's own token is not theirs."""
    moment = (datetime.now(timezone.utc) - ago).replace(tzinfo=None).isoformat(" ")
    hub.query(
        "update api_tokens set last_activity = ? where user_id = "
        "(select id from users where name = ?) and note not like 'Server at %'",
        moment,
        name,
    )


def sample(hub) -> dict:
    taken = labfleet_api(hub, "POST", "/activity/sample")
    assert taken.status_code == 200, taken.text
    return taken.json()


def activity(hub, **args) -> dict:
    answer = labfleet_api(hub, "GET", "/activity", params=args)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module", autouse=True)
def users(hub):
    """alice, bob and carol; the admin starts alice's and bob's servers, carol never comes."""
    for name in ("alice", "bob", "carol"):
        hub.create_user(name)
    hub.spawn("alice")
    hub.spawn("bob")
    labfleet_api(hub, "DELETE", "/activity")


def test_day_one_scores_count_what_users_did_themselves(hub):
    labfleet_api(hub, "DELETE", "/activity")
    put_file(hub, "alice", "lesson.ipynb", "{}")  # the admin hands something out
    first = sample(hub)
    # servers an admin started and wrote to are nobody's work
    assert (first["users"], first["active"], first["running"]) == (4, 0, 2)
    use_server(hub, "alice")
    assert sample(hub)["active"] == 1
    use_server(hub, "bob")
    assert sample(hub)["active"] == 2
    data = activity(hub, sort="score")
    rows = {r["name"]: r for r in data["users"]}
    # three rounds of an hour each (seconds apart): the hours seen, not a day made of them
    assert rows["alice"]["hours_a_day"] == pytest.approx(2, abs=0.01)
    assert rows["alice"]["score"] == pytest.approx(25, abs=0.1)  # of 8 hours a day
    assert rows["bob"]["hours_a_day"] == pytest.approx(1, abs=0.01)
    assert rows["bob"]["score"] == pytest.approx(12.5, abs=0.1)
    assert (rows["carol"]["score"], rows["carol"]["hours_a_day"]) == (0, 0)  # never seen
    assert data["samples"]["few"] and data["samples"]["rounds"] == 3
    assert data["samples"]["hours"] == pytest.approx(3, abs=0.01)
    order = [r["name"] for r in activity(hub, sort="score", order="desc")["users"]]
    assert order.index("alice") < order.index("bob") < order.index("carol")
    assert [r["name"] for r in activity(hub, search="bo")["users"]] == ["bob"]


def test_the_activity_window_makes_the_states_and_the_chart_ends_with_the_badges(hub):
    set_own_activity(hub, "alice", timedelta(minutes=4))
    set_own_activity(hub, "bob", timedelta(minutes=6))  # past the 5-minute window
    data = activity(hub, limit=500)
    states = {r["name"]: r["state"] for r in data["users"]}
    assert (states["alice"], states["bob"], states["carol"]) == ("active", "idle", "offline")
    assert [r["name"] for r in activity(hub, state="idle")["users"]] == ["bob"]
    counts, chart = data["counts"], data["chart"]
    assert counts["active"] == chart["active"][-1] == 1
    assert counts["active"] + counts["idle"] == chart["running"][-1] == 2
    # the time axis: from the first round to now, an hour at least
    start, end = (datetime.fromisoformat(chart[key]) for key in ("start", "end"))
    assert chart["end"] == chart["times"][-1] and start <= datetime.fromisoformat(chart["times"][0])
    assert end - start == timedelta(hours=1)
    # a server checks its user's credentials with the hub within half the window
    command = Path(f"/proc/{hub.spawner_pid('alice')}/cmdline").read_bytes().split(b"\0")
    assert b"--HubOAuth.cache_max_age=150" in command


def test_live_use_of_a_running_server(hub):
    put_file(hub, "alice", "data.txt", "x" * 200_000)

    def measured():
        (row,) = activity(hub, search="alice")["users"]
        return row if row["cpu_percent"] is not None else None

    row = wait_for(measured, 60, "two measurements of alice's server")
    assert row["memory_bytes"] > 10_000_000  # a Python server with JupyterLab
    assert row["volume_bytes"] >= 200_000
    assert 0 <= row["cpu_percent"] < 400 and row["age_seconds"] < 60
    assert row["seconds_left"] > 0  # before idle culling
    offline = activity(hub, search="carol")["users"][0]
    assert offline["memory_bytes"] is None and offline["seconds_left"] is None
    hub.stop_server("bob")


def test_the_csv_export_has_every_user_the_filter_keeps(hub):
    answer = labfleet_api(hub, "GET", "/activity", params={"format": "csv", "limit": 1})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("name,state,score,hours_a_day")
    assert {line.split(",")[0] for line in lines[1:]} >= {"alice", "bob", "carol"}


@pytest.mark.parametrize(
    "args, says",
    [
        ({"state": "asleep"}, "state"),
        ({"sort": "age"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"order": "up"}, "order"),
        ({"format": "xml"}, "format"),
    ],  # fmt: skip
)
def test_bad_arguments_are_400(hub, args, says):
    answer = labfleet_api(hub, "GET", "/activity", params=args)
    assert answer.status_code == 400 and says in answer.json()["message"]


def test_reset_deletes_every_sample_and_is_audited(hub):
    sample(hub)
    done = labfleet_api(hub, "DELETE", "/activity")
    assert done.status_code == 200 and done.json()["deleted_rounds"] >= 1
    assert all(r["score"] == 0 for r in activity(hub, limit=500)["users"])
    chart = activity(hub)["chart"]
    assert chart["times"] == [chart["end"]] and activity(hub)["last_round"] is None
    assert audit_rows(hub, "activity.reset")


def test_labfleets_metrics_are_on_the_hubs_metrics_page(hub):
    use_server(hub, "alice")
    taken = sample(hub)
    labfleet_api(hub, "POST", "/notifications", json={"message": "For the metrics"})
    labfleet_api(hub, "POST", "/users/alice/restart")
    text = hub.api("GET", "/../metrics").text
    metrics = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("labfleet_")
    }
    assert metrics["labfleet_active_users"] == taken["active"]
    assert metrics["labfleet_running_servers"] == taken["running"]
    assert 'labfleet_spawn_failures_total{backend="local"}' in metrics
    assert metrics['labfleet_broadcast_deliveries_total{result="delivered"}'] >= 1
    assert metrics['labfleet_operations_total{kind="server.restart",result="ok"}'] >= 1


def test_who_may_read_and_reset_activity(hub):
    from harness import user_token

    user = user_token(hub, "carol")
    narrow = user_token(hub, "admin", scopes=["read:users:name"])
    for token in (None, user, narrow):
        headers = {"Authorization": f"token {token}"} if token else {}
        for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/sample")):
            answer = requests.request(
                method, f"{hub.url}/hub/api/labfleet/activity{path}", headers=headers, timeout=30
            )
            assert answer.status_code == 403, (token, method, path, answer.text)


def test_a_deleted_user_takes_their_samples_along(hub):
    hub.create_user("dan")
    hub.spawn("dan")
    use_server(hub, "dan")
    assert sample(hub)["active"] >= 1
    ((user_id,),) = hub.query("select id from users where name = 'dan'")
    assert hub.query("select count(*) from labfleet_activity_samples where user_id = ?", user_id)[
        0
    ][0]
    assert hub.api("DELETE", "/users/dan").status_code == 204
    for table in ("labfleet_activity_samples", "labfleet_activity_weights"):
        assert hub.query(f"select count(*) from {table} where user_id = ?", user_id) == [(0,)]


@needs_chromium
def test_the_dashboard_on_day_one_in_a_browser(hub, page):
    """After the first rounds of a class: the chart's time axis is the last hour up to now
    (read from its labels), its last point what the badges say, the scores marked as
    resting on few samples."""
    from playwright.sync_api import expect

    labfleet_api(hub, "DELETE", "/activity")
    use_server(hub, "alice")
    sample(hub)
    sample(hub)
    log_in(page, hub, next_url="/hub/labfleet/activity")
    chart = page.locator("#lf-activity-chart")
    expect(chart).to_have_attribute("aria-label", re.compile(r"Time axis: .+\. Now: "))
    described = chart.get_attribute("aria-label")
    ticks = re.search(r"Time axis: (.+?)\. Now", described).group(1).split(", ")
    now = datetime.now(timezone.utc)  # the browser's time zone is UTC
    assert len(ticks) >= 2, described
    for tick in ticks:
        assert re.fullmatch(r"\d\d:\d\d", tick), described  # times of day, no years
        hour, minute = map(int, tick.split(":"))
        assert (now.hour * 60 + now.minute - hour * 60 - minute) % 1440 <= 61, described
    expect(page.locator('.lf-count[data-state="active"]')).to_have_text("1 active")
    assert "Now: 1 active, 1 running." in described  # bob's server stopped above
    expect(page.locator("#lf-activity-few")).to_be_visible()
    alice = page.locator('#lf-activity-table tr[data-user="alice"]')
    expect(alice.locator(".lf-hours")).to_have_text("2.0")
    expect(alice.locator(".lf-score")).to_have_text("25 %")
    assert page.errors == []

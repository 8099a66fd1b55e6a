"""Activity monitoring on a real hub: two users' scores from real rounds of samples, the
three states, live resource use of a running server, sampling and reset, the metrics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from harness import audit_rows, labfleet_api, put_file, wait_for

HUB_CONFIG = {
    # rounds only when a test asks (sample now); live use measured every 5 s
    "activity": {
        "sample_interval": 36000,
        "stats_interval": 5,
        "target_hours": 24,
        "inactive_after": 600,
        "half_life_hours": 72,
    },  # fmt: skip
}


def set_last_activity(hub, name: str, ago: timedelta) -> None:
    """The user's last activity, as JupyterHub keeps it (naive UTC)."""
    moment = (datetime.now(timezone.utc) - ago).replace(tzinfo=None)
    hub.query("update users set last_activity = ? where name = ?", moment.isoformat(" "), name)


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
    for name in ("alice", "bob", "carol"):
        hub.create_user(name)
    labfleet_api(hub, "DELETE", "/activity")


def test_two_users_get_the_scores_their_rounds_give(hub):
    labfleet_api(hub, "DELETE", "/activity")
    set_last_activity(hub, "alice", timedelta(minutes=1))
    set_last_activity(hub, "bob", timedelta(hours=2))
    first = sample(hub)
    assert first["active"] >= 1 and first["users"] >= 3
    set_last_activity(hub, "bob", timedelta(minutes=1))
    sample(hub)
    rows = {r["name"]: r for r in activity(hub, sort="score")["users"]}
    # two rounds seconds apart weigh the same: alice active in both, bob in one of two
    assert rows["alice"]["score"] == pytest.approx(100, abs=0.5)
    assert rows["alice"]["hours_a_day"] == pytest.approx(24, abs=0.1)
    assert rows["bob"]["score"] == pytest.approx(50, abs=0.5)
    assert rows["bob"]["hours_a_day"] == pytest.approx(12, abs=0.1)
    assert rows["carol"]["score"] == 0
    order = [r["name"] for r in activity(hub, sort="score", order="desc")["users"]]
    assert order.index("alice") < order.index("bob") < order.index("carol")
    assert [r["name"] for r in activity(hub, search="bo")["users"]] == ["bob"]


def test_states_and_live_use_of_a_running_server(hub):
    hub.spawn("alice")
    hub.spawn("bob")
    put_file(hub, "alice", "data.txt", "x" * 200_000)
    set_last_activity(hub, "alice", timedelta(minutes=1))
    set_last_activity(hub, "bob", timedelta(hours=3))
    states = {r["name"]: r["state"] for r in activity(hub, limit=500)["users"]}
    assert (states["alice"], states["bob"], states["carol"]) == ("active", "idle", "offline")
    assert [r["name"] for r in activity(hub, state="idle")["users"]] == ["bob"]

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
    assert activity(hub)["chart"]["times"] == [] and activity(hub)["last_round"] is None
    assert audit_rows(hub, "activity.reset")


def test_labfleets_metrics_are_on_the_hubs_metrics_page(hub):
    set_last_activity(hub, "alice", timedelta(minutes=1))
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
    set_last_activity(hub, "dan", timedelta(minutes=1))
    sample(hub)
    ((user_id,),) = hub.query("select id from users where name = 'dan'")
    assert hub.query("select count(*) from labfleet_activity_samples where user_id = ?", user_id)[
        0
    ][0]
    assert hub.api("DELETE", "/users/dan").status_code == 204
    for table in ("labfleet_activity_samples", "labfleet_activity_weights"):
        assert hub.query(f"select count(*) from {table} where user_id = ?", user_id) == [(0,)]

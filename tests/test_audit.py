"""The audit log: what is recorded, the API's filters and pages, the page, retention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from harness import user_token, wait_for
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from labfleet import audit
from labfleet.audit import pruning
from labfleet.db.models import AuditEvent, Base

HUB_CONFIG = {"audit": {"retention_days": 30, "prune_every": 1}}


def events(hub, **filters) -> dict:
    response = hub.api("GET", "/labfleet/audit", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def rows(hub, **filters) -> list[tuple]:
    return [
        (e["actor"], e["action"], e["target"], e["result"])
        for e in events(hub, **filters)["events"]
    ]


# -- what is recorded --------------------------------------------------------------------


def test_logins_are_recorded_with_their_result_and_address(hub):
    _, ok = hub.login("admin", hub.admin_password)
    assert ok.status_code == 302
    _, failed = hub.login("mallory", "guess")
    assert failed.status_code == 403
    logins = events(hub, action="login")["events"]
    # a failed login is nobody's: the typed name is only what was claimed
    assert logins[0]["actor"] == "anonymous" and logins[0]["target"] == "mallory"
    assert logins[0]["result"] == "failed" and logins[0]["detail"]["claimed"] == "mallory"
    assert logins[1]["actor"] == logins[1]["target"] == "admin" and logins[1]["result"] == "ok"
    assert {e["detail"]["ip"] for e in logins[:2]} == {"127.0.0.1"}


def test_a_client_cannot_say_where_it_is(hub):
    """Without trusted proxies (proxy.trusted_proxies) the address is the connection's."""
    forged = {"X-Real-IP": "6.6.6.6", "X-Forwarded-For": "6.6.6.7"}
    hub.login("forger", "guess", headers=forged)
    (attempt,) = [e for e in events(hub, action="login")["events"] if e["target"] == "forger"]
    assert attempt["detail"]["ip"] == "127.0.0.1"


def test_users_created_and_deleted_through_jupyterhubs_api(hub):
    hub.create_user("uma")
    hub.create_user("vic")
    bulk = hub.api("POST", "/users", json={"usernames": ["vic", "wes", "xan"]})
    assert bulk.status_code == 201, bulk.text
    assert hub.api("DELETE", "/users/uma").status_code == 204
    created = {e["target"]: e for e in events(hub, action="user.create")["events"]}
    assert {"uma", "vic", "wes", "xan"} <= set(created)
    assert created["wes"]["detail"] == {"bulk": True} and created["vic"]["detail"] == {}
    # vic existed before the bulk request: one creation only
    assert rows(hub, action="user.create", user="vic") == [
        ("labfleet-tests", "user.create", "vic", "ok")
    ]
    assert rows(hub, action="user.delete") == [("labfleet-tests", "user.delete", "uma", "ok")]


def test_refused_requests_record_nothing(hub):
    before = events(hub)["total"]
    assert hub.api("POST", "/users/vic").status_code == 409  # exists already
    assert hub.api("DELETE", "/users/nobody").status_code == 404
    assert events(hub)["total"] == before


def test_servers_started_and_stopped_through_the_api_and_the_spawn_page(hub):
    hub.create_user("dora")
    # the admin starts dora's server from the spawn page, in a browser session
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    page = session.get(f"{hub.url}/hub/spawn/dora", allow_redirects=False, timeout=60)
    assert page.status_code == 302 and "/spawn-pending/dora" in page.headers["Location"]
    wait_for(lambda: hub.user("dora")["servers"].get("", {}).get("ready"), 90, "dora's server")
    # dora stops it herself, with her own token
    token = user_token(hub, "dora")
    stop = hub.api("DELETE", "/users/dora/server", token=token)
    assert stop.status_code in (202, 204), stop.text
    wait_for(lambda: not hub.user("dora")["servers"], 90, "dora's server to stop")
    # the service starts and stops it through the API
    hub.spawn("dora")
    hub.stop_server("dora")
    assert rows(hub, user="dora", action="server") == [
        ("labfleet-tests", "server.stop", "dora", "ok"),
        ("labfleet-tests", "server.start", "dora", "ok"),
        ("dora", "server.stop", "dora", "ok"),
        ("admin", "server.start", "dora", "ok"),
    ]
    # the spawn page sent the browser on before the server was ready
    page_start = events(hub, user="dora", action="server.start")["events"][-1]
    assert page_start["detail"] == {"pending": True}


def test_labfleets_own_operations_are_in_the_same_log(hub):
    hub.create_user("ola")
    reset = hub.api("DELETE", "/labfleet/users/ola/volumes", json={"volumes": ["cache"]})
    assert reset.status_code == 200, reset.text
    (event,) = events(hub, action="volumes.reset")["events"]
    assert (event["actor"], event["target"], event["detail"]) == (
        "labfleet-tests", "ola", {"volumes": ["cache"]},
    )  # fmt: skip


# -- filters and pages -------------------------------------------------------------------


def test_user_filter_matches_actor_or_target(hub):
    for name in ("pia", "quin"):
        hub.create_user(name)
    hub.api("DELETE", "/labfleet/users/pia/volumes", json={"volumes": ["cache"]},
            token=user_token(hub, "pia"))  # fmt: skip
    pia = rows(hub, user="pia")
    assert ("pia", "volumes.reset", "pia", "ok") in pia
    assert ("labfleet-tests", "user.create", "pia", "ok") in pia
    assert all("pia" in (actor, target) for actor, _, target, _ in pia)
    assert all(target != "quin" for _, _, target, _ in pia)


def test_action_filter_takes_an_action_or_a_family(hub):
    assert {action for _, action, _, _ in rows(hub, action="user")} == {
        "user.create",
        "user.delete",
    }
    assert {action for _, action, _, _ in rows(hub, action="user.delete")} == {"user.delete"}
    assert rows(hub, action="use") == []


def test_time_range(hub):
    everything = events(hub, limit=500)["events"]
    middle = everything[len(everything) // 2]["timestamp"]
    newer = events(hub, since=middle, limit=500)["events"]
    older = events(hub, until=middle, limit=500)["events"]

    def ids(some: list[dict]) -> set[int]:
        return {e["id"] for e in some}

    assert ids(newer) | ids(older) == ids(everything)
    assert ids(newer) & ids(older) == {e["id"] for e in everything if e["timestamp"] == middle}
    assert all(e["timestamp"] >= middle for e in newer)
    assert all(e["timestamp"] <= middle for e in older)
    # a date, and a time in another zone, are accepted too
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    assert events(hub, since=tomorrow)["total"] == 0
    assert events(hub, until="2000-01-01T02:00+02:00")["total"] == 0


def test_pages_newest_first_with_the_total(hub):
    everything = events(hub, limit=500)
    ids = [e["id"] for e in everything["events"]]
    assert ids == sorted(ids, reverse=True) and everything["total"] == len(ids) > 4
    first, second = events(hub, limit=2), events(hub, limit=2, offset=2)
    assert [e["id"] for e in first["events"] + second["events"]] == ids[:4]
    assert first["total"] == everything["total"] and (first["limit"], second["offset"]) == (2, 2)
    assert events(hub, offset=10_000)["events"] == []


@pytest.mark.parametrize(
    "filters, complaint",
    [
        ({"since": "yesterday"}, "since must be an ISO 8601"),
        ({"until": "2024-13-01"}, "until must be an ISO 8601"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since must not be after until"),
        ({"limit": "0"}, "limit must be a whole number from 1 to 500"),
        ({"limit": "501"}, "limit must be a whole number from 1 to 500"),
        ({"offset": "-1"}, "offset must be a whole number from 0 to 1000000000"),
        ({"offset": "1" * 23}, "offset must be a whole number from 0 to 1000000000"),
        ({"limit": "²"}, "limit must be a whole number from 1 to 500"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "between the years 1 and 9999"),
        ({"until": "9999-12-31T23:59:59-01:00"}, "between the years 1 and 9999"),
    ],
)
def test_bad_filters_are_refused(hub, filters, complaint):
    response = hub.api("GET", "/labfleet/audit", params=filters)
    assert response.status_code == 400
    assert response.json()["status"] == 400 and complaint in response.json()["message"]


def test_the_page_shows_the_filtered_log(hub):
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    page = session.get(f"{hub.url}/hub/labfleet/audit", params={"user": "dora"}, timeout=30)
    assert page.status_code == 200
    assert page.text.count("<code>server.start</code>") == 2 and "mallory" not in page.text
    assert 'value="dora"' in page.text and "Events 1&ndash;5 of 5" in page.text
    paged = session.get(
        f"{hub.url}/hub/labfleet/audit", params={"limit": 1, "offset": 1}, timeout=30
    )
    assert 'id="labfleet-audit-newer"' in paged.text and 'id="labfleet-audit-older"' in paged.text
    assert 'href="?limit=1&amp;offset=2"' in paged.text
    bad = session.get(f"{hub.url}/hub/labfleet/audit", params={"since": "soon"}, timeout=30)
    assert bad.status_code == 400 and "since must be an ISO 8601" in bad.text
    edge = {"since": "0001-01-01T00:00:00+01:00"}
    bad = session.get(f"{hub.url}/hub/labfleet/audit", params=edge, timeout=30)
    assert bad.status_code == 400 and "between the years 1 and 9999" in bad.text


# -- retention -----------------------------------------------------------------------------


def insert_event(hub, age: timedelta, target: str) -> None:
    """An event ``age`` old, written straight into the hub's database."""
    moment = (datetime.now(timezone.utc) - age).strftime("%Y-%m-%d %H:%M:%S.%f")
    hub.query(
        "insert into labfleet_audit_events (timestamp, actor, action, target, result, detail)"
        " values (?, 'tests', 'test.retention', ?, 'ok', '{}')",
        moment,
        target,
    )


def test_events_older_than_the_retention_are_pruned_while_the_hub_runs(hub):
    insert_event(hub, timedelta(days=31), "expired")
    insert_event(hub, timedelta(days=29), "kept")
    wait_for(lambda: rows(hub, user="expired") == [], 30, "the expired event to be pruned")
    assert rows(hub, user="kept") == [("tests", "test.retention", "kept", "ok")]


def test_retention_zero_keeps_everything_and_prune_counts():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        now = datetime.now(timezone.utc)
        old = audit.record(db, actor="a", action="x", target="b")
        old.timestamp = now - timedelta(days=400)
        db.commit()
        audit.record(db, actor="a", action="x", target="c")
        assert pruning.prune(db, 0, now) == 0
        assert pruning.prune(db, 90, now) == 1
        assert [e.target for e in db.query(AuditEvent)] == ["c"]


def test_the_page_needs_login(hub):
    page = requests.get(f"{hub.url}/hub/labfleet/audit", allow_redirects=False, timeout=30)
    assert page.status_code == 302 and "/hub/login" in page.headers["Location"]

"""A hub restart keeps users, their files and labfleet's records, and prints no new password."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import harness
import requests
from alembic.script import ScriptDirectory

from labfleet.db.migrate import alembic_config


def test_restart_keeps_users_and_data(hub):
    first_password = hub.admin_password
    assert first_password
    hub.create_user("carol")
    hub.spawn("carol")
    response = requests.put(
        f"{hub.url}/user/carol/api/contents/kept.txt",
        json={"type": "file", "format": "text", "content": "still here"},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    hub.stop_server("carol")

    hub.restart()

    assert hub.admin_password is None
    assert not any("password:" in line for line in hub.start_output)
    assert hub.user("carol")["name"] == "carol"
    _, login = hub.login("admin", first_password)
    assert login.status_code == 302
    hub.spawn("carol")
    kept = requests.get(
        f"{hub.url}/user/carol/api/contents/kept.txt",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert kept.status_code == 200 and kept.json()["content"] == "still here"
    hub.stop_server("carol")


def test_labfleet_tables_live_in_the_hub_database(hub):
    databases = sorted(p.name for p in hub.data_dir.rglob("*.sqlite"))
    assert databases == ["labfleet.sqlite"]
    version = hub.query("select version_num from labfleet_alembic_version")
    events = hub.query("select actor, action, target from labfleet_audit_events")
    heads = ScriptDirectory.from_config(alembic_config(None)).get_heads()
    assert sorted(v for (v,) in version) == sorted(heads)
    assert ("labfleet", "user.create", "admin") in events


def test_broadcasts_are_kept_and_one_due_while_the_hub_was_down_goes_out_at_its_start(hub):
    hub.create_user("dora")
    hub.spawn("dora")
    before = hub.api(
        "POST", "/labfleet/notifications",
        json={"message": "Before the restart", "recipients": {"users": ["dora"]}},
    )  # fmt: skip
    assert before.json()["delivered"] == 1, before.text
    at = datetime.now(timezone.utc) + timedelta(seconds=4)
    due = hub.api(
        "POST", "/labfleet/notifications",
        json={"message": "Due while down", "recipients": {"users": ["dora"]}, "at": at.isoformat()},
    )  # fmt: skip
    assert due.status_code == 202, due.text
    hub.stop()  # dora's server stops with it (this hub's cleanup_servers)
    time.sleep(max(0.0, (at - datetime.now(timezone.utc)).total_seconds()) + 1)
    hub.start()
    kept = hub.api("GET", f"/labfleet/notifications/{before.json()['id']}").json()
    assert kept["results"] == before.json()["results"]

    def sent():
        answer = hub.api("GET", f"/labfleet/notifications/{due.json()['id']}").json()
        return answer if answer["status"] == "sent" else None

    answer = harness.wait_for(sent, 30, "the broadcast that fell due while the hub was down")
    assert [(r["username"], r["reason"]) for r in answer["results"]] == [("dora", "not running")]

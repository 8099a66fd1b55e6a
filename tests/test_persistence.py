"""A hub restart keeps users, their files and labfleet's records, and prints no new password."""

from __future__ import annotations

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

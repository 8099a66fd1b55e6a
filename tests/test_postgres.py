"""The core of the suite once on a real PostgreSQL server (Debian's, started by the test run):
accounts, spawn, restart in place, volumes, broadcasts, activity, audit, a hub restart; and
``labfleet db migrate-from-sqlite`` from a hub that ran on SQLite."""

from __future__ import annotations

import pytest
from harness import (
    Hub,
    create_account,
    get_file,
    labfleet_api,
    make_root,
    panel,
    put_file,
    run_labfleet,
    running_hub,
    use_server,
)
from postgres import postgres_database, skip_without_postgres
from sqlalchemy import create_engine, inspect, text


@pytest.fixture(scope="module")
def database():
    skip_without_postgres()
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def hub(database):
    with running_hub("postgres", {"hub": {"db_url": database}}) as instance:
        yield instance


def test_the_hub_and_labfleets_tables_live_in_postgresql(hub, database):
    tables = set(inspect(create_engine(database)).get_table_names())
    assert {"users", "spawners", "labfleet_audit_events", "labfleet_broadcasts",
            "labfleet_activity_rounds", "labfleet_alembic_version"} <= tables  # fmt: skip
    assert not list(hub.data_dir.rglob("*.sqlite"))


def test_accounts_servers_volumes_broadcasts_activity_and_events(hub):
    password = create_account(hub, "pia", [])
    _, login = hub.login("pia", password)
    assert login.status_code == 302
    hub.spawn("pia")
    put_file(hub, "pia", "kept.txt", "in postgres")
    assert panel(hub, "POST", "pia", "restart").status_code == 200
    assert get_file(hub, "pia", "kept.txt").json()["content"] == "in postgres"
    sent = labfleet_api(hub, "POST", "/notifications", json={"message": "From PostgreSQL"})
    assert [(r["username"], r["delivered"]) for r in sent.json()["results"]] == [("pia", True)]
    use_server(hub, "pia")  # her own use makes her active
    assert labfleet_api(hub, "POST", "/activity/sample").json()["running"] == 1
    (row,) = labfleet_api(hub, "GET", "/activity", params={"search": "pia"}).json()["users"]
    assert row["state"] == "active" and row["score"] > 0
    for path in ("a.ipynb", "a.ipynb", "b.ipynb"):  # workshop events: the grid's last saves
        labfleet_api(hub, "POST", "/users/pia/events", json={"path": path})
    grid = labfleet_api(hub, "GET", "/workshop").json()
    assert sorted(grid["cells"]["pia"]) == ["a.ipynb", "b.ipynb"]
    assert grid["cells"]["pia"]["a.ipynb"]["id"] == 2
    hub.stop_server("pia")
    reset = panel(hub, "DELETE", "pia", "volumes", json={"volumes": ["home"]})
    assert reset.status_code == 200, reset.text
    actions = {e["action"] for e in labfleet_api(hub, "GET", "/audit").json()["events"]}
    assert {"user.create", "server.restart", "volumes.reset", "notification.broadcast"} <= actions


def test_a_restart_keeps_the_records(hub):
    before = labfleet_api(hub, "GET", "/notifications").json()["total"]
    hub.restart()
    assert hub.admin_password is None
    assert labfleet_api(hub, "GET", "/notifications").json()["total"] == before >= 1
    assert hub.user("pia")["name"] == "pia"


@pytest.mark.slow
def test_a_sqlite_hub_moves_to_postgresql():
    with postgres_database() as target:
        old = Hub(make_root("from-sqlite"), name="from-sqlite")
        try:
            old.start()
            assert old.api("POST", "/groups/movers").status_code == 201
            password = create_account(old, "mo", ["movers"])
            old.api("POST", "/labfleet/notifications", json={"message": "Before the move"})
            old.stop()
            moved = run_labfleet(
                "db", "migrate-from-sqlite", "--to", target, "--config", str(old.config_path),
                cwd=old.root,
            )  # fmt: skip
            assert moved.returncode == 0, moved.stderr
            assert "users" in moved.stdout and "verified" in moved.stdout
            again = run_labfleet(
                "db", "migrate-from-sqlite", "--to", target, "--config", str(old.config_path),
                cwd=old.root,
            )  # fmt: skip
            assert again.returncode == 2 and "not empty" in again.stderr
            with create_engine(target).connect() as db:
                names = {n for (n,) in db.execute(text("select name from users"))}
            assert {"admin", "mo"} <= names
            old.update_config({"hub": {"db_url": target}})
            old.start()
            assert old.admin_password is None  # the admin came along
            assert old.login("mo", password)[1].status_code == 302
            assert labfleet_api(old, "GET", "/notifications").json()["total"] == 1
            assert "movers" in old.user("mo")["groups"]
            old.create_user("new-after-the-move")  # the ids go on from the copied ones
        finally:
            old.cleanup()

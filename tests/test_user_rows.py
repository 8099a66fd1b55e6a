"""What labfleet keeps under a user's name has one owner: every table that names a user is
declared (structure), a deleted user's rows go with them and a new user of the same name
inherits nothing, and a renamed user's rows follow them (a real hub)."""

from __future__ import annotations

import base64
import re

import pytest
import requests
from harness import SPAWN_TIMEOUT, get_file, labfleet_api, use_server, wait_for
from sqlalchemy import Column, Integer, MetaData, String, Table

from labfleet.app import USER_ROWS
from labfleet.db.models import Base
from labfleet.db.user_rows import UserRows

# a column with such a name holds a user's name or id
NAMES_A_USER = re.compile(r"user|actor|target|recipient|owner|author")


def undeclared(metadata: MetaData, rows: UserRows) -> list[str]:
    """The columns of ``metadata`` that name a user and that ``rows`` does not declare."""
    declared = {(c.table, c.column) for c in rows.columns}
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if NAMES_A_USER.search(column.name) and (table.name, column.name) not in declared
    ]


def test_every_table_that_names_a_user_is_declared_to_the_one_owner():
    # a new table kept under a user's name: declare it in its section's user_rows
    # (labfleet.db.user_rows), or its rows outlive the user and pass to the next of the name
    assert undeclared(Base.metadata, USER_ROWS) == []
    for column in USER_ROWS.columns:  # each declaration names a real column
        assert column.column in Base.metadata.tables[column.table].columns, column


def test_the_walk_finds_an_undeclared_table():
    extra = MetaData()
    Table("labfleet_new_feature", extra, Column("id", Integer, primary_key=True),
          Column("username", String(255)), Column("path", String(255)))  # fmt: skip
    assert undeclared(extra, USER_ROWS) == ["labfleet_new_feature.username"]
    assert {(c.table, c.keyed) for c in USER_ROWS.columns} >= {
        ("labfleet_workshop_events", "name"),
        ("labfleet_material_results", "name"),
        ("labfleet_broadcast_results", "name"),
        ("labfleet_activity_samples", "id"),
        ("labfleet_audit_events", "record"),
    }


# -- on a real hub ------------------------------------------------------------------------

HUB_CONFIG = {
    "workshop": {"enabled": True},
    "notifications": {"timeout": 5, "replay_minutes": 30},
    "activity": {"sample_interval": 36000},  # rounds only when a test asks
}
NOTEBOOK = {
    "cells": [{"id": "c1", "cell_type": "code", "source": "print(1)", "metadata": {},
               "execution_count": 1, "outputs": []}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}  # fmt: skip


def save_notebook(hub, user: str, path: str) -> None:
    """Save a notebook through the user's server, as JupyterLab does; wait for its event."""
    saved = requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": NOTEBOOK},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert saved.status_code in (200, 201), saved.text
    wait_for(lambda: saves(hub, user), 30, f"the save event of {user}'s {path}")


def saves(hub, user: str) -> list[dict]:
    answer = labfleet_api(hub, "GET", "/events", params={"user": user, "type": "save"})
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def grid_cells(hub, user: str) -> dict | None:
    """What the instructor's dashboard shows of ``user``: their notebooks (None: not there)."""
    grid = labfleet_api(hub, "GET", "/workshop").json()
    return grid["cells"].get(user)


def hand_out(hub, user: str, path: str) -> int:
    content = base64.b64encode(f"material {path}".encode()).decode()
    answer = labfleet_api(hub, "POST", "/workshop/material", json={
        "folder": "", "recipients": {"users": [user]},
        "files": [{"path": path, "content": content}],
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def material_results(hub, material: int) -> dict[str, str]:
    answer = labfleet_api(hub, "GET", f"/workshop/material/{material}").json()
    return {r["user"]: r["status"] for r in answer["results"]}


def broadcast(hub, user: str, message: str) -> int:
    answer = labfleet_api(hub, "POST", "/notifications", json={
        "message": message, "recipients": {"users": [user]},
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def broadcast_results(hub, broadcast_id: int) -> dict[str, str]:
    answer = labfleet_api(hub, "GET", f"/notifications/{broadcast_id}").json()
    return {r["username"]: r["reason"] or "delivered" for r in answer["results"]}


def received(hub, user: str) -> list[str]:
    """The messages the user's JupyterLab has to show, read (and taken) from the
    notification extension's own API."""
    response = requests.get(
        f"{hub.url}/user/{user}/jupyterlab-notifications-extension/notifications",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [n["message"] for n in response.json()["notifications"]]


def sample_activity(hub, user: str) -> None:
    use_server(hub, user)  # their own use counts, not their server's
    assert labfleet_api(hub, "POST", "/activity/sample").status_code == 200


def activity_score(hub, user: str) -> float:
    (row,) = labfleet_api(hub, "GET", "/activity", params={"search": user}).json()["users"]
    return row["score"]


def rows_named(hub, user: str) -> dict[str, int]:
    """How many rows each table declared by name keeps under ``user``."""
    return {
        c.table: hub.query(f"select count(*) from {c.table} where {c.column} = ?", user)[0][0]
        for c in USER_ROWS.of("name")
    }


def rows_of_id(hub, user_id: int) -> dict[str, int]:
    return {
        c.table: hub.query(f"select count(*) from {c.table} where {c.column} = ?", user_id)[0][0]
        for c in USER_ROWS.of("id")
    }


def user_id(hub, name: str) -> int:
    ((found,),) = hub.query("select id from users where name = ?", name)
    return found


# the tables a_user_with_rows_of_every_feature fills under the user's name
FILLED = {
    "labfleet_workshop_events", "labfleet_material_results", "labfleet_broadcast_results",
    "labfleet_session_extensions", "labfleet_accounts",
}  # fmt: skip


def a_user_with_rows_of_every_feature(hub, name: str) -> int:
    """``name`` with a save, material, a broadcast, an extension, activity and a forced
    password change; the id."""
    hub.create_user(name)
    hub.spawn(name)
    save_notebook(hub, name, "homework.ipynb")
    material = hand_out(hub, name, "task.txt")
    assert material_results(hub, material) == {name: "delivered"}
    sent = broadcast(hub, name, f"Hello {name}")
    assert broadcast_results(hub, sent) == {name: "delivered"}
    extended = labfleet_api(hub, "POST", f"/users/{name}/session/extend", json={"hours": 1})
    assert extended.status_code == 200, extended.text
    sample_activity(hub, name)
    hub.stop_server(name)
    forced = labfleet_api(
        hub, "PATCH", f"/users/{name}/account", json={"must_change_password": True}
    )
    assert forced.status_code == 200, forced.text
    assert all(rows_named(hub, name)[table] for table in FILLED), rows_named(hub, name)
    return user_id(hub, name)


def test_a_deleted_participant_leaves_nothing_for_the_next_user_of_the_name(hub):
    old_id = a_user_with_rows_of_every_feature(hub, "pia")
    # while pia's server is stopped: material and a broadcast wait for her next start
    waiting = hand_out(hub, "pia", "waiting.txt")
    missed = broadcast(hub, "pia", "Meant for the first pia")
    assert grid_cells(hub, "pia") and saves(hub, "pia")
    assert activity_score(hub, "pia") > 0

    gone = labfleet_api(hub, "DELETE", "/users/pia/account", json={"delete_volumes": True})
    assert gone.status_code == 200, gone.text
    # the instructor's dashboard and every history forget her
    assert saves(hub, "pia") == [] and grid_cells(hub, "pia") is None
    assert "pia" not in material_results(hub, waiting)
    assert "pia" not in broadcast_results(hub, missed)
    assert set(rows_named(hub, "pia").values()) == {0}
    assert set(rows_of_id(hub, old_id).values()) == {0}

    hub.create_user("pia")  # as able to start a server as any new user: no forced change
    assert grid_cells(hub, "pia") == {} and saves(hub, "pia") == []
    assert activity_score(hub, "pia") == 0
    # what waits for the new pia is delivered in order: what waited for the old one would
    # come first, and does not
    later = broadcast(hub, "pia", "Meant for the new pia")
    hand_out(hub, "pia", "new.txt")
    hub.spawn("pia")
    shown: list[str] = []

    def arrived() -> bool:
        shown.extend(received(hub, "pia"))
        return "Meant for the new pia" in shown

    wait_for(arrived, SPAWN_TIMEOUT, "the new pia's missed broadcast")
    wait_for(lambda: get_file(hub, "pia", "new.txt").status_code == 200, SPAWN_TIMEOUT,
             "the new pia's material")  # fmt: skip
    shown += received(hub, "pia")
    assert not {"Hello pia", "Meant for the first pia"} & set(shown), shown
    assert get_file(hub, "pia", "waiting.txt").status_code == 404
    assert get_file(hub, "pia", "task.txt").status_code == 404
    assert broadcast_results(hub, later) == {"pia": "delivered"}  # its replay, last
    hub.stop_server("pia")


def test_a_renamed_user_takes_every_row_along(hub):
    old_id = a_user_with_rows_of_every_feature(hub, "ren")
    counts = rows_named(hub, "ren")
    score = activity_score(hub, "ren")
    renamed = hub.api("PATCH", "/users/ren", json={"name": "rena"})
    assert renamed.status_code == 200, renamed.text
    assert rows_named(hub, "rena") == counts
    assert set(rows_named(hub, "ren").values()) == {0}
    assert [e["path"] for e in saves(hub, "rena")] == ["homework.ipynb"]
    assert grid_cells(hub, "rena") and grid_cells(hub, "ren") is None
    assert activity_score(hub, "rena") == pytest.approx(score)
    kept = rows_of_id(hub, old_id)  # by JupyterHub's id, which a rename keeps
    assert kept["labfleet_activity_samples"] and kept["labfleet_activity_weights"]

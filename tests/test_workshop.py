"""Workshop mode: notebook saves in real servers reach the hub as events with their content;
the instructor's grid, tails, changes and sanitised HTML; filters; who may see what; the
hub down during a save; handing out material to participants, one of whom changed it."""

from __future__ import annotations

import base64
import io
import json
import signal
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
import requests
from harness import (
    audit_rows,
    labfleet_api,
    run_labfleet,
    user_token,
    wait_for,
)

HUB_CONFIG = {
    "workshop": {"enabled": True, "autosave_seconds": 30, "content_limit_kb": 64, "keep_saves": 3},
    "hub": {"load_groups": {"instructors": {"users": ["teacher"]}, "team": {"users": ["bob"]}}},
}
PARTICIPANTS = ["alice", "bob", "carol"]


def notebook(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code(cell_id: str, source: str, count: int | None = None, outputs: list | None = None) -> dict:
    return {"id": cell_id, "cell_type": "code", "source": source, "metadata": {},
            "execution_count": count, "outputs": outputs or []}  # fmt: skip


def markdown(cell_id: str, source: str) -> dict:
    return {"id": cell_id, "cell_type": "markdown", "source": source, "metadata": {}}


def error(name: str, value: str) -> dict:
    return {"output_type": "error", "ename": name, "evalue": value,
            "traceback": [f"\x1b[31m{name}\x1b[0m: {value}"]}  # fmt: skip


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def save(hub, user: str, path: str, content: dict, token: str | None = None) -> requests.Response:
    """Save a notebook through the user's server, as JupyterLab does."""
    return requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "notebook", "format": "json", "content": content},
        headers={"Authorization": f"token {token or hub.token}"},
        timeout=30,
    )


def make_folder(hub, user: str, path: str) -> None:
    requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "directory"},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )


def events_of(hub, token: str | None = None, **filters) -> dict:
    response = labfleet_api(hub, "GET", "/events", token=token, params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def saves(hub, user: str, path: str) -> list[dict]:
    return events_of(hub, user=user, path=path, type="save")["events"]


def wait_for_saves(hub, user: str, path: str, count: int, timeout: float = 30) -> list[dict]:
    return wait_for(
        lambda: (found := saves(hub, user, path)) and len(found) >= count and found,
        timeout, f"{count} save events of {user}'s {path}",
    )  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def people(hub):
    for name in ["alice", "carol"]:  # bob and teacher come with their groups
        hub.create_user(name)
    for name in ["alice", "bob", "teacher"]:
        hub.spawn(name)
    for name in ["alice", "bob"]:
        make_folder(hub, name, "day1")


FIRST = notebook(
    markdown("m1", "# Exercise 1"),
    code("c1", "x = 1\nprint(x)", 1, [stream("1\n")]),
    code("c2", "print(y)", 2, [error("NameError", "name 'y' is not defined")]),
)
SECOND = notebook(
    markdown("m1", "# Exercise 1"),
    code("c1", "x = 2\nprint(x)", 3, [stream("2\n")]),
    code("c3", "y = x * 2", 4),
)


def test_a_save_in_a_real_server_reaches_the_hub_with_its_content(hub):
    answer = save(hub, "alice", "day1/intro.ipynb", FIRST)
    assert answer.status_code in (200, 201), answer.text
    (event,) = wait_for_saves(hub, "alice", "day1/intro.ipynb", 1)
    assert event["type"] == "save" and event["filename"] == "intro.ipynb"
    assert event["has_content"] and event["error"] == "NameError: name 'y' is not defined"
    full = events_of(hub, user="alice", path="day1/intro.ipynb", content="1")["events"][0]
    assert "".join(json.loads(full["content"])["cells"][2]["source"]) == "print(y)"
    # a file that is not a notebook is no save event
    requests.put(
        f"{hub.url}/user/alice/api/contents/notes.txt",
        json={"type": "file", "format": "text", "content": "hello"},
        headers={"Authorization": f"token {hub.token}"}, timeout=30,
    )  # fmt: skip
    assert not events_of(hub, user="alice", path="notes.txt")["events"]


def test_the_grid_shows_the_participants_and_who_is_stuck(hub):
    save(hub, "bob", "day1/intro.ipynb", SECOND)
    wait_for_saves(hub, "bob", "day1/intro.ipynb", 1)
    grid = labfleet_api(hub, "GET", "/workshop").json()
    assert [p["user"] for p in grid["participants"]] == PARTICIPANTS  # not the instructor
    assert {p["user"]: p["running"] for p in grid["participants"]} == {
        "alice": True, "bob": True, "carol": False}  # fmt: skip
    assert "day1/intro.ipynb" in grid["notebooks"]
    assert grid["cells"]["carol"] == {}
    assert [(s["user"], s["path"]) for s in grid["stuck"]] == [("alice", "day1/intro.ipynb")]


def test_a_save_shows_its_tail_and_what_changed_since_the_save_before(hub):
    save(hub, "alice", "day1/intro.ipynb", SECOND)
    first, second = wait_for_saves(hub, "alice", "day1/intro.ipynb", 2)[-2:]
    view = labfleet_api(hub, "GET", f"/workshop/saves/{second['id']}").json()
    assert view["previous"]["id"] == first["id"]
    assert view["event"]["error"] is None  # alice is no longer stuck
    changes = {c["change"]: c for c in view["changes"] if c["change"] != "same"}
    assert changes["edited"]["lines"] == [["-", "x = 1"], ["+", "x = 2"], [" ", "print(x)"]]
    assert changes["added"]["source"] == "y = x * 2"
    assert changes["removed"]["source"] == "print(y)"
    assert view["summary"] == {"added": 1, "removed": 1, "edited": 1}
    assert [c["source"] for c in view["tail"]] == ["# Exercise 1", "x = 2\nprint(x)", "y = x * 2"]
    grid = labfleet_api(hub, "GET", "/workshop").json()
    assert grid["stuck"] == []


def test_the_tail_keeps_the_last_cells_and_the_last_lines_of_outputs(hub):
    long = notebook(*[code(f"c{i}", f"print({i})", i, [stream("".join(f"{n}\n" for n in range(40)))])
                      for i in range(1, 15)])  # fmt: skip
    save(hub, "bob", "day1/long.ipynb", long)
    (event,) = wait_for_saves(hub, "bob", "day1/long.ipynb", 1)
    tail = labfleet_api(hub, "GET", f"/workshop/saves/{event['id']}").json()["tail"]
    assert [c["index"] for c in tail] == list(range(4, 14))  # the last 10 of 14
    (output,) = tail[-1]["outputs"]
    assert output["text"].splitlines() == [str(n) for n in range(15, 40)]  # the last 25 lines
    assert output["cut_lines"] == 15
    summary = labfleet_api(hub, "GET", "/workshop/tails", params={"path": "day1/long.ipynb"})
    by_user = {p["user"]: p for p in summary.json()["participants"]}
    assert by_user["bob"]["tail"][-1]["source"] == "print(14)"
    assert by_user["alice"]["event"] is None and by_user["alice"]["tail"] is None


def test_a_notebook_over_the_limit_is_reported_without_its_content(hub):
    big = notebook(code("c1", "x = '" + "a" * 70_000 + "'", 1))
    assert save(hub, "bob", "day1/big.ipynb", big).status_code in (200, 201)
    (event,) = wait_for_saves(hub, "bob", "day1/big.ipynb", 1)
    assert not event["has_content"] and "over the limit of 64 KiB" in event["omitted"]
    assert event["size"] > 64 * 1024
    view = labfleet_api(hub, "GET", f"/workshop/saves/{event['id']}").json()
    assert view["tail"] is None
    session, _ = hub.login("admin", hub.admin_password)
    page = session.get(f"{hub.url}/hub/labfleet/workshop/saves/{event['id']}/html", timeout=30)
    assert page.status_code == 409 and "over the limit" in page.text


def test_events_posted_by_scripts_are_filtered_and_paged(hub):
    token = user_token(hub, "carol")
    start = datetime.now(timezone.utc)
    for i, kind in enumerate(["checkpoint", "checkpoint", "done"]):
        stamp = (start + timedelta(seconds=i)).isoformat()
        answer = labfleet_api(hub, "POST", "/events", token=token,
                              json={"type": kind, "path": f"ex/{i}.ipynb", "timestamp": stamp})  # fmt: skip
        assert answer.status_code == 201, answer.text
        assert answer.json()["user"] == "carol" and answer.json()["filename"] == f"{i}.ipynb"
    assert events_of(hub, user="carol", type="checkpoint")["total"] == 2
    assert [e["path"] for e in events_of(hub, user="carol", filename="2.ipynb")["events"]] == [
        "ex/2.ipynb"
    ]
    since = (start + timedelta(seconds=0.5)).isoformat()
    assert events_of(hub, user="carol", since=since)["total"] == 2
    until = (start + timedelta(seconds=1.5)).isoformat()
    assert events_of(hub, user="carol", since=since, until=until)["total"] == 1
    first_page = events_of(hub, user="carol", limit=2)
    second_page = events_of(hub, user="carol", limit=2, offset=2)
    assert first_page["total"] == 3 and len(first_page["events"]) == 2
    assert [e["type"] for e in second_page["events"]] == ["done"]
    # a timestamp left out is now
    answer = labfleet_api(hub, "POST", "/events", token=token, json={"path": "now.ipynb"})
    stamp = datetime.fromisoformat(answer.json()["timestamp"])
    assert abs((stamp - datetime.now(timezone.utc)).total_seconds()) < 30


def test_only_the_last_saves_of_a_notebook_keep_their_content(hub):
    for version in range(5):
        content = json.dumps(notebook(code("c1", f"v = {version}", 1)))
        answer = labfleet_api(hub, "POST", "/users/carol/events",
                              json={"path": "kept.ipynb", "content": content})  # fmt: skip
        assert answer.status_code == 201
    found = events_of(hub, user="carol", path="kept.ipynb")["events"]
    assert [e["has_content"] for e in found] == [False, False, True, True, True]
    assert found[0]["omitted"] == "pruned: the last 3 saves keep their content"
    assert found[0]["size"]  # the time and size stay


@pytest.mark.parametrize(
    "body, says",
    [
        ({"path": "../x.ipynb"}, "inside the home"),
        ({}, '"path"'),
        ({"path": "a.ipynb", "timestamp": "yesterday"}, "ISO 8601"),
        ({"path": "a.ipynb", "colour": "red"}, "unknown fields: colour"),
        ({"path": "a.ipynb", "filename": "b.ipynb"}, "last part"),
        ({"path": "a.ipynb", "type": "x" * 65}, "at most 64"),
        ({"path": "a.ipynb", "content": 5}, '"content"'),
    ],
)
def test_bad_events_are_refused_with_the_reason(hub, body, says):
    answer = labfleet_api(hub, "POST", "/users/carol/events", json=body)
    assert answer.status_code == 400
    assert answer.json()["status"] == 400 and says in answer.json()["message"]


@pytest.mark.parametrize(
    "params, says",
    [({"since": "soon"}, "since"), ({"limit": "0"}, "limit"), ({"offset": "²"}, "offset")],
)
def test_bad_filters_are_refused(hub, params, says):
    answer = labfleet_api(hub, "GET", "/events", params=params)
    assert answer.status_code == 400 and says in answer.json()["message"]


def call(hub, method: str, path: str, token: str | None, **kwargs) -> requests.Response:
    """labfleet's API as ``token`` has it (None: anonymous)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, f"{hub.url}/hub/api/labfleet{path}", headers=headers,
                            timeout=60, **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def callers(hub):
    return {
        "anonymous": None,
        "participant": user_token(hub, "alice"),
        "other participant": user_token(hub, "bob"),
        "instructor": user_token(hub, "teacher"),
        "narrow token": user_token(hub, "alice", scopes=["read:users:name!user"]),
        "admin": hub.token,
    }


def test_participants_see_only_their_own_events(hub, callers):
    users = lambda token: {e["user"] for e in events_of(hub, token=token, limit=1000)["events"]}  # noqa: E731
    assert users(callers["participant"]) == {"alice"}
    assert users(callers["other participant"]) == {"bob"}
    assert {"alice", "bob", "carol"} <= users(callers["instructor"])
    assert {"alice", "bob", "carol"} <= users(callers["admin"])
    assert events_of(hub, token=callers["participant"], user="bob")["events"] == []
    for caller in ("anonymous", "narrow token"):
        answer = call(hub, "GET", "/events", callers[caller])
        assert answer.status_code == 403, caller


WORKSHOP_ROUTES = [
    ("GET", "/workshop", None, 200),
    ("GET", "/workshop/tails?path=day1/intro.ipynb", None, 200),
    ("GET", "/workshop/material", None, 200),
    ("POST", "/workshop/material", {"files": []}, 400),
    ("GET", "/workshop/export?path=none.ipynb", None, 200),
]


@pytest.mark.parametrize("method, route, body, allowed", WORKSHOP_ROUTES)
@pytest.mark.parametrize(
    "caller, refused",
    [("anonymous", 403), ("participant", 403), ("narrow token", 403), ("instructor", None),
     ("admin", None)],
)  # fmt: skip
def test_the_instructors_routes_are_for_instructors_and_admins(
    hub, callers, method, route, body, allowed, caller, refused
):
    answer = call(hub, method, route, callers[caller], json=body)
    assert answer.status_code == (refused or allowed), answer.text


def test_posting_events_for_another_user(hub, callers):
    body = {"path": "x.ipynb", "type": "note"}
    for caller, status in [("anonymous", 403), ("other participant", 404),
                           ("narrow token", 403), ("participant", 201), ("admin", 201)]:  # fmt: skip
        answer = call(hub, "POST", "/users/alice/events", callers[caller], json=body)
        assert answer.status_code == status, (caller, answer.text)
    # the route without a name records the caller's own events only
    forged = labfleet_api(hub, "POST", "/events", token=callers["participant"],
                          json={**body, "user": "bob"})  # fmt: skip
    assert forged.status_code == 403 and "events of alice only" in forged.json()["message"]


def test_a_kernel_cannot_record_events_of_another_participant(hub):
    """The server's own token (in the kernel's environment) records its user's events only."""
    from harness import run_in_kernel

    # the hub's API is on its Unix socket: reached with JupyterHub's own client, as the
    # server does
    script = (
        "import json, os\n"
        "from jupyterhub.httpclient import fetch\n"
        "url = os.environ['JUPYTERHUB_API_URL'] + '/labfleet/users/bob/events'\n"
        "answer = await fetch(url, method='POST', data=json.dumps({'path': 'forged.ipynb'}),"
        " headers={'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN'],"
        " 'Content-Type': 'application/json'}, raise_for_status=False)\n"
        "print(answer.status)\n"
    )
    assert run_in_kernel(hub, "alice", script, hub.token).strip() == "404"
    assert not events_of(hub, user="bob", path="forged.ipynb")["events"]


def test_participants_autosave_often_and_instructors_keep_the_default(hub):
    def autosave(user: str) -> int:
        answer = requests.get(
            f"{hub.url}/user/{user}/lab/api/settings/@jupyterlab/docmanager-extension:plugin",
            headers={"Authorization": f"token {hub.token}"}, timeout=30,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        return answer.json()["schema"]["properties"]["autosaveInterval"]["default"]

    assert autosave("alice") == 30
    assert autosave("teacher") == 120


SCRIPTS = notebook(
    markdown(
        "m1",
        "# Hi\n<script>window.parent.PWNED_MD = 1</script>"
        '<img src=x onerror="window.parent.PWNED_IMG = 1">',
    ),  # fmt: skip
    code(
        "c1",
        "html",
        1,
        [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"text/html": "<b>bold</b><script>window.parent.PWNED_HTML = 1</script>"},
            }
        ],
    ),  # fmt: skip
    code(
        "c3",
        "df",
        3,
        [
            {
                "output_type": "execute_result",
                "execution_count": 3,
                "metadata": {},
                "data": {
                    "text/html": "<table><tr><th>a</th></tr><tr><td onclick='x()'>1</td></tr></table>",
                    "text/plain": "   a\n0  1",
                },
            }
        ],
    ),  # fmt: skip
    code(
        "c2",
        "svg",
        2,
        [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload='window.parent.PWNED_SVG=1'>"
                    "<script>window.parent.PWNED_SVG = 1</script><circle r='5'/></svg>"
                },
            }
        ],
    ),  # fmt: skip
)


def test_a_notebook_carrying_script_is_rendered_without_it(hub):
    save(hub, "bob", "day1/evil.ipynb", SCRIPTS)
    (event,) = wait_for_saves(hub, "bob", "day1/evil.ipynb", 1)
    url = f"{hub.url}/hub/labfleet/workshop/saves/{event['id']}/html"
    anonymous = requests.get(url, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/hub/login" in anonymous.headers["Location"]
    session, _ = hub.login("admin", hub.admin_password)
    page = session.get(url, timeout=60)
    assert page.status_code == 200, page.text
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy  # no script source at all: default-src 'none'
    html = page.text
    assert "<b>bold</b>" in html and '<h1 id="Hi">Hi' in html  # harmless markup stays
    assert "<tr><th>a</th></tr><tr><td>1</td></tr>" in html  # a DataFrame's, without its onclick
    for payload in ("window.parent.PWNED_MD", "window.parent.PWNED_HTML"):
        index = html.index(payload)
        assert "&lt;script&gt;" in html[index - 40 : index], payload  # escaped, not a tag
    assert 'src="x"/>' in html and "PWNED_IMG" not in html  # the image stays, its handler not
    assert "PWNED_SVG" not in html  # an SVG output cannot be cleaned: it is left out


def test_the_export_holds_every_participants_latest_notebooks(hub):
    answer = labfleet_api(hub, "GET", "/workshop/export", params={"path": "day1/intro.ipynb"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert sorted(names) == ["alice/day1/intro.html", "alice/day1/intro.ipynb",
                             "bob/day1/intro.html", "bob/day1/intro.ipynb"]  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    cells = json.loads(archive.read("alice/day1/intro.ipynb"))["cells"]
    assert "".join(cells[1]["source"]) == "x = 2\nprint(x)"
    assert '<h1 id="Exercise-1">Exercise 1' in archive.read("alice/day1/intro.html").decode()


def test_the_save_succeeds_while_the_hub_is_down_and_its_event_arrives_later(hub):
    token = user_token(hub, "alice")
    # the server knows this token from a first request (as a JupyterLab's does)
    listing = requests.get(f"{hub.url}/user/alice/api/contents/day1",
                           headers={"Authorization": f"token {token}"}, timeout=30)  # fmt: skip
    assert listing.status_code == 200
    hub.proc.send_signal(signal.SIGKILL)  # the hub crashes: proxy and servers go on
    hub.proc.wait()
    try:
        answer = save(hub, "alice", "day1/offline.ipynb", FIRST, token=token)
        assert answer.status_code in (200, 201), answer.text  # the user's save is not held up
    finally:
        hub.start()
    wait_for_saves(hub, "alice", "day1/offline.ipynb", 1, timeout=120)


# -- handing out material ----------------------------------------------------------------


def handout(hub, token: str | None = None, **body) -> requests.Response:
    return labfleet_api(hub, "POST", "/workshop/material", token=token, json=body)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def read(hub, user: str, path: str) -> str | None:
    answer = requests.get(f"{hub.url}/user/{user}/api/contents/{path}",
                          params={"type": "file", "format": "text"},
                          headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    return answer.json()["content"] if answer.status_code == 200 else None


def listing(hub, user: str, folder: str) -> list[str]:
    answer = requests.get(f"{hub.url}/user/{user}/api/contents/{folder}",
                          headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    return sorted(item["name"] for item in answer.json()["content"])


@pytest.fixture(scope="module")
def class_of_ten(hub):
    names = [f"p{i:02d}" for i in range(10)]
    for name in names:
        hub.create_user(name)
    for name in names[:9]:  # p09's server is stopped
        hub.spawn(name)
    return names


def test_material_reaches_ten_participants_and_a_changed_copy_is_kept(hub, class_of_ten):
    first = handout(hub, folder="lesson", recipients={"users": class_of_ten},
                    files=[{"path": "task.py", "content": b64("print('v1')\n")},
                           {"path": "data/input.csv", "content": b64("a,b\n1,2\n")}])  # fmt: skip
    assert first.status_code == 200, first.text
    results = {r["user"]: r for r in first.json()["results"]}
    assert first.json()["counts"] == {"delivered": 9, "waiting": 1, "failed": 0}
    assert results["p09"]["status"] == "waiting"
    assert {f["outcome"] for f in results["p00"]["files"]} == {"written"}
    assert read(hub, "p00", "lesson/task.py") == "print('v1')\n"
    assert read(hub, "p00", "lesson/data/input.csv") == "a,b\n1,2\n"
    # p03 works on the task; then the instructor hands out a corrected version
    requests.put(f"{hub.url}/user/p03/api/contents/lesson/task.py",
                 json={"type": "file", "format": "text", "content": "print('mine')\n"},
                 headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    second = handout(hub, folder="lesson", recipients={"users": class_of_ten},
                     files=[{"path": "task.py", "content": b64("print('v2')\n")},
                            {"path": "data/input.csv", "content": b64("a,b\n1,2\n")}])  # fmt: skip
    results = {r["user"]: {f["path"]: f for f in r["files"]} for r in second.json()["results"]}
    assert results["p00"]["lesson/task.py"]["outcome"] == "updated"
    assert results["p00"]["lesson/data/input.csv"]["outcome"] == "same"
    mine = results["p03"]["lesson/task.py"]
    assert mine["outcome"] == "kept yours"
    assert read(hub, "p03", "lesson/task.py") == "print('v2')\n"
    assert read(hub, "p03", mine["kept"]) == "print('mine')\n"  # nothing of p03's is lost
    assert listing(hub, "p03", "lesson") == sorted(["data", "task.py", mine["kept"].split("/")[-1]])
    assert read(hub, "p00", "lesson/task.py") == "print('v2')\n"
    # p09 gets both when the server starts, the newer one last
    hub.spawn("p09")
    material = second.json()["id"]
    wait_for(
        lambda: {r["user"]: r["status"] for r in
                 labfleet_api(hub, "GET", f"/workshop/material/{material}").json()["results"]
                 }["p09"] == "delivered",
        60, "the material to reach p09",
    )  # fmt: skip
    assert read(hub, "p09", "lesson/task.py") == "print('v2')\n"
    actor, target, result, detail = audit_rows(hub, "workshop.handout")[-1]
    assert (actor, target, result) == ("labfleet-tests", "10 users", "ok")
    assert detail["material"] == material and detail["delivered"] == 9
    # no save events: material is not the participants' work
    assert not events_of(hub, user="p00", path="lesson/task.py")["events"]


def test_material_goes_to_the_participants_or_a_group(hub, class_of_ten):
    answer = handout(hub, files=[{"path": "hello.txt", "content": b64("hi")}])
    names = {r["user"] for r in answer.json()["results"]}
    assert {"alice", "bob", "carol", *class_of_ten} == names  # no instructor, no admin
    team = handout(hub, folder="team", recipients={"groups": ["team"]},
                   files=[{"path": "t.txt", "content": b64("t")}])  # fmt: skip
    assert [r["user"] for r in team.json()["results"]] == ["bob"]


@pytest.mark.parametrize(
    "body, says",
    [
        ({"files": []}, '"files" must list'),
        ({"files": [{"path": "../x", "content": ""}]}, "inside the home"),
        ({"files": [{"path": "x", "content": "%%%"}]}, "not base64"),
        ({"folder": "/etc/..", "files": [{"path": "x", "content": ""}]}, "inside the home"),
        (
            {"files": [{"path": "x", "content": ""}], "recipients": {"groups": ["nope"]}},
            "no group nope",
        ),
        ({"files": [{"path": "x", "content": b64("a" * 30_000_000)}]}, "over the limit"),
    ],
)
def test_bad_hand_outs_are_refused_with_the_reason(hub, body, says):
    answer = handout(hub, **body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"]


def test_only_the_hub_may_post_material_to_a_server(hub):
    """A user's own token (or a page of theirs) cannot use the material route: only a ticket."""
    token = user_token(hub, "alice")
    answer = requests.post(f"{hub.url}/user/alice/labfleet/material",
                           json={"folder": "", "files": []},
                           headers={"Authorization": f"token {token}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 403


def test_workshop_init_writes_the_preset_and_keeps_other_settings(tmp_path):
    config = tmp_path / "labfleet.yaml"
    config.write_text("hub:\n  bind_url: http://127.0.0.1:8123\n")
    done = run_labfleet("workshop", "init", "--config", str(config), "--instructor", "teacher",
                        cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    import yaml

    data = yaml.safe_load(config.read_text())
    assert data["workshop"] == {"enabled": True, "autosave_seconds": 30,
                                "instructors_group": "instructors"}  # fmt: skip
    assert data["culling"] == {"enabled": False}
    assert data["hub"]["bind_url"] == "http://127.0.0.1:8123"
    assert data["hub"]["load_groups"] == {"instructors": {"users": ["teacher"]}}
    assert "labfleet users import" in done.stdout and "/hub/labfleet/workshop" in done.stdout
    missing = run_labfleet("workshop", "init", "--config", str(config), "--roster", "nope.csv",
                           cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2 and "no roster at nope.csv" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_events_are_kept_across_a_hub_restart(hub):
    """Last: the restart stops the servers of this module's hub."""
    before = events_of(hub, limit=1000)["total"]
    hub.restart()
    assert events_of(hub, limit=1000)["total"] == before

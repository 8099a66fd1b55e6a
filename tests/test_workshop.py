"""Workshop mode: notebook saves in real servers reach the hub as events with their content;
the instructor's grid, tails, changes and sanitised HTML; filters; who may see what; the
hub down during a save; handing out material to participants, one of whom changed it; a
kernel flooding the hub with events, lying about their time, or saving notebooks that cannot
be rendered."""

from __future__ import annotations

import io
import json
import re
import signal
import time
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml
from harness import (
    audit_rows,
    labfleet_api,
    run_labfleet,
    user_token,
    wait_for,
)
from notebooks import (
    FIRST,
    SCRIPTED_EXPORT,
    SCRIPTS,
    SECOND,
    b64,
    code,
    events_of,
    markdown,
    notebook,
    read,
    save,
    saves,
    stream,
    wait_for_saves,
)

HUB_CONFIG = {
    "workshop": {"enabled": True, "autosave_seconds": 30, "content_limit_kb": 64, "keep_saves": 3,
                 "events_per_minute": 50, "events_kb_per_minute": 1024},
    "hub": {"load_groups": {"instructors": {"users": ["teacher"]}, "team": {"users": ["bob"]}}},
}
PARTICIPANTS = ["alice", "bob", "carol"]


def make_folder(hub, user: str, path: str) -> None:
    requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "directory"},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )


@pytest.fixture(scope="module", autouse=True)
def people(hub):
    for name in ["alice", "carol"]:  # bob and teacher come with their groups
        hub.create_user(name)
    for name in ["alice", "bob", "teacher"]:
        hub.spawn(name)
    for name in ["alice", "bob"]:
        make_folder(hub, name, "day1")


@pytest.fixture(scope="module", autouse=True)
def admin(hub) -> requests.Session:
    """The admin's browser session, logged in at the module's first start (a restarted hub
    prints no password)."""
    session, answer = hub.login("admin", hub.admin_password)
    assert answer.status_code == 302, answer.text
    return session


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


def test_a_notebook_over_the_limit_is_reported_without_its_content(hub, admin):
    big = notebook(code("c1", "x = '" + "a" * 70_000 + "'", 1))
    assert save(hub, "bob", "day1/big.ipynb", big).status_code in (200, 201)
    (event,) = wait_for_saves(hub, "bob", "day1/big.ipynb", 1)
    assert not event["has_content"] and "over the limit of 64 KiB" in event["omitted"]
    assert event["size"] > 64 * 1024
    view = labfleet_api(hub, "GET", f"/workshop/saves/{event['id']}").json()
    assert view["tail"] is None
    page = admin.get(f"{hub.url}/hub/labfleet/workshop/saves/{event['id']}/html", timeout=30)
    assert page.status_code == 409 and "over the limit" in page.text


def test_events_posted_by_scripts_are_filtered_and_paged(hub):
    token = user_token(hub, "carol")
    stamps = []
    for i, kind in enumerate(["checkpoint", "checkpoint", "done"]):
        answer = labfleet_api(hub, "POST", "/events", token=token,
                              json={"type": kind, "path": f"ex/{i}.ipynb"})  # fmt: skip
        assert answer.status_code == 201, answer.text
        assert answer.json()["user"] == "carol" and answer.json()["filename"] == f"{i}.ipynb"
        stamps.append(answer.json()["timestamp"])
    assert events_of(hub, user="carol", type="checkpoint")["total"] == 2
    assert [e["path"] for e in events_of(hub, user="carol", filename="2.ipynb")["events"]] == [
        "ex/2.ipynb"
    ]
    assert events_of(hub, user="carol", since=stamps[1])["total"] == 2
    assert events_of(hub, user="carol", since=stamps[1], until=stamps[1])["total"] == 1
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
        ({"path": "a" * 4000 + "/" + "b" * 200 + ".ipynb"}, "at most 4096"),
        ({"path": "x" * 300 + ".ipynb"}, "at most 255"),
        ({"path": "a.ipynb", "omitted": "x" * 5000}, '"omitted"'),
        ({"path": "a.ipynb", "size": 2**40}, '"size"'),
        ({"path": "\ud800.ipynb"}, "lone surrogate"),
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
    ("POST", "/workshop/material/999999/withdraw", None, 404),
    ("GET", "/workshop/mode", None, 200),
    ("PUT", "/workshop/mode", {"enabled": "on"}, 400),
    ("GET", "/workshop/links?repo=https://git.example.org/course.git", None, 200),
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


def autosave(hub, user: str) -> int:
    """The autosave interval a JupyterLab of the user's server loads now."""
    answer = requests.get(
        f"{hub.url}/user/{user}/lab/api/settings/@jupyterlab/docmanager-extension:plugin",
        headers={"Authorization": f"token {hub.token}"}, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["schema"]["properties"]["autosaveInterval"]["default"]


def test_participants_autosave_often_and_instructors_keep_the_default(hub):
    assert autosave(hub, "alice") == 30
    assert autosave(hub, "teacher") == 120


def test_a_notebook_carrying_script_is_rendered_without_it(hub, admin):
    save(hub, "bob", "day1/evil.ipynb", SCRIPTS)
    (event,) = wait_for_saves(hub, "bob", "day1/evil.ipynb", 1)
    url = f"{hub.url}/hub/labfleet/workshop/saves/{event['id']}/html"
    anonymous = requests.get(url, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/hub/login" in anonymous.headers["Location"]
    page = admin.get(url, timeout=60)
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
    assert 'src="x">' in html and "PWNED_IMG" not in html  # the image stays, its handler not
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


def received(hub, user: str) -> list[dict]:
    """What the user's JupyterLab has to show, read (and taken) from the notifications
    extension's own API."""
    answer = requests.get(f"{hub.url}/user/{user}/jupyterlab-notifications-extension/notifications",
                          headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["notifications"]


def outcomes(answer: requests.Response) -> dict[str, dict[str, dict]]:
    """user -> path -> what became of the file in their home."""
    assert answer.status_code == 200, answer.text
    return {r["user"]: {f["path"]: f for f in r["files"]} for r in answer.json()["results"]}


def test_material_reaches_ten_participants_and_never_moves_their_work(hub, class_of_ten):
    first = handout(hub, folder="lesson", recipients={"users": class_of_ten},
                    files=[{"path": "task.py", "content": b64("print('v1')\n")},
                           {"path": "data/input.csv", "content": b64("a,b\n1,2\n")}])  # fmt: skip
    assert first.status_code == 200, first.text
    results = {r["user"]: r for r in first.json()["results"]}
    assert first.json()["counts"] == {"delivered": 9, "waiting": 1, "failed": 0, "withdrawn": 0}
    assert results["p09"]["status"] == "waiting" and first.json()["standing"]
    assert {f["outcome"] for f in results["p00"]["files"]} == {"written"}
    assert read(hub, "p00", "lesson/task.py") == "print('v1')\n"
    assert read(hub, "p00", "lesson/data/input.csv") == "a,b\n1,2\n"
    (told,) = received(hub, "p00")
    assert told["message"] == "New from your instructor: lesson/task.py, lesson/data/input.csv."
    # p03 works on the task; then the instructor hands out a corrected version
    requests.put(f"{hub.url}/user/p03/api/contents/lesson/task.py",
                 json={"type": "file", "format": "text", "content": "print('mine')\n"},
                 headers={"Authorization": f"token {hub.token}"}, timeout=30)  # fmt: skip
    before = hub.home("p03").joinpath("lesson", "task.py").stat()
    second = handout(hub, folder="lesson", recipients={"users": class_of_ten},
                     files=[{"path": "task.py", "content": b64("print('v2')\n")},
                            {"path": "data/input.csv", "content": b64("a,b\n1,2\n")}])  # fmt: skip
    results = outcomes(second)
    assert results["p03"]["lesson/data/input.csv"]["outcome"] == "same"
    beside = results["p03"]["lesson/task.py"]
    assert beside["outcome"] == "beside"
    assert re.fullmatch(r"lesson/task\.new-\d{4}-\d\d-\d\d-\d{4}\.py", beside["beside"])
    # p03's file is byte for byte what it was, where it was: same inode, same time
    after = hub.home("p03").joinpath("lesson", "task.py").stat()
    assert read(hub, "p03", "lesson/task.py") == "print('mine')\n"
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert read(hub, "p03", beside["beside"]) == "print('v2')\n"
    assert listing(hub, "p03", "lesson") == sorted(["data", "task.py", beside["beside"][7:]])
    # p00 never touched v1: it stays too, the new version beside it
    assert read(hub, "p00", "lesson/task.py") == "print('v1')\n"
    assert results["p00"]["lesson/task.py"]["beside"] == beside["beside"]
    # p03's JupyterLab says where the new version is, and offers to open it
    told = received(hub, "p03")[-1]
    assert beside["beside"] in told["message"] and "Your file is unchanged" in told["message"]
    assert told["actions"][0]["commandId"] == "docmanager:open"
    assert told["actions"][0]["args"] == {"path": beside["beside"]}
    # the first version is withdrawn: p09 gets the second alone when the server starts
    withdrawn = labfleet_api(hub, "POST", f"/workshop/material/{first.json()['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["counts"]["withdrawn"] == 1 and not withdrawn.json()["standing"]
    hub.spawn("p09")
    material = second.json()["id"]
    wait_for(
        lambda: {r["user"]: r["status"] for r in
                 labfleet_api(hub, "GET", f"/workshop/material/{material}").json()["results"]
                 }["p09"] == "delivered",
        60, "the material to reach p09",
    )  # fmt: skip
    assert read(hub, "p09", "lesson/task.py") == "print('v2')\n"
    assert listing(hub, "p09", "lesson") == ["data", "task.py"]
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


@pytest.mark.parametrize(
    "route, body",
    [
        ("labfleet/material", {"folder": "", "stamp": "x", "files": []}),
        # a participant turning their server's save events off
        ("labfleet/workshop-mode", {"enabled": False, "content_limit_kb": 0,
                                    "autosave_seconds": 0}),
    ],
)  # fmt: skip
def test_only_the_hub_may_post_to_labfleets_routes_of_a_server(hub, route, body):
    """A user's own token (or a page of theirs, or a kernel) cannot use labfleet's routes of
    material and workshop mode: only the hub's ticket."""
    token = user_token(hub, "alice")
    answer = requests.post(f"{hub.url}/user/alice/{route}", json=body,
                           headers={"Authorization": f"token {token}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 403
    assert autosave(hub, "alice") == 30  # workshop mode is still on in alice's server


@pytest.mark.slow
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


# -- limits, lies and notebooks that cannot be rendered -------------------------------------


def post_from_kernel(hub, user: str, bodies: str) -> dict:
    """Post the events ``bodies`` (Python building a list of dicts) from a kernel of
    ``user``'s server with the server's own token, as a student's notebook can; every answer's
    status, and the last answer."""
    script = (
        "import json, os\n"
        "from jupyterhub.httpclient import fetch\n"
        "url = os.environ['JUPYTERHUB_API_URL'] + '/labfleet/events'\n"
        "headers = {'Authorization': 'token ' + os.environ['JUPYTERHUB_API_TOKEN'],"
        " 'Content-Type': 'application/json'}\n"
        f"bodies = {bodies}\n"
        "statuses = []\n"
        "for body in bodies:\n"
        "    answer = await fetch(url, method='POST', data=json.dumps(body), headers=headers,"
        " raise_for_status=False)\n"
        "    statuses.append(answer.status)\n"
        "    last = {'text': await answer.text(), 'retry': answer.headers.get('Retry-After')}\n"
        "print(json.dumps({'statuses': statuses, **last}))\n"
    )
    from harness import run_in_kernel

    return json.loads(run_in_kernel(hub, user, script, hub.token).strip().splitlines()[-1])


def test_a_kernel_flooding_the_hub_with_events_is_refused_with_the_reason(hub, class_of_ten):
    flood = "[{'type': 'flood', 'path': f'f/{i}.ipynb'} for i in range(70)]"
    sent = post_from_kernel(hub, "p03", flood)
    assert sent["statuses"] == [201] * 50 + [429] * 20  # workshop.events_per_minute: 50
    refused = json.loads(sent["text"])
    assert refused["status"] == 429
    assert "at most 50 events a minute (workshop.events_per_minute)" in refused["message"]
    assert 1 <= int(sent["retry"]) <= 60 and f"try again in {sent['retry']} s" in refused["message"]
    assert events_of(hub, user="p03", type="flood")["total"] == 50
    # the flood is p03's own: another participant's saves still arrive
    answer = save(hub, "p04", "mine.ipynb", FIRST)
    assert answer.status_code in (200, 201)
    wait_for_saves(hub, "p04", "mine.ipynb", 1)
    # and p03's own save is not lost: the server sends it again when the hub says
    assert save(hub, "p03", "late.ipynb", FIRST).status_code in (200, 201)
    assert not saves(hub, "p03", "late.ipynb")
    wait_for_saves(hub, "p03", "late.ipynb", 1, timeout=150)


def test_big_events_are_held_to_the_bytes_a_minute_and_the_content_cap(hub, class_of_ten):
    # 20 notebooks of 200 KB each: over the content cap (64 KiB) and, together, far over the
    # 1024 KiB a minute
    big = "json.dumps({'cells': [{'cell_type': 'code', 'source': 'x' * 200_000}]})"
    sent = post_from_kernel(hub, "p05", f"[{{'path': f'big/{{i}}.ipynb', 'content': {big}}} "
                            "for i in range(20)]")  # fmt: skip
    assert sent["statuses"] == [201] * 6 + [429] * 14  # refused once 1024 KiB were sent
    assert "at most 1024 KiB of events a minute" in json.loads(sent["text"])["message"]
    kept = events_of(hub, user="p05", path="big/0.ipynb")["events"][0]
    assert not kept["has_content"] and "over the hub's limit of 64 KiB" in kept["omitted"]
    ((rows, stored),) = hub.query(
        "select count(*), sum(length(path) + length(coalesce(content, '')) "
        "+ length(coalesce(omitted, '')) + length(coalesce(error, ''))) "
        "from labfleet_workshop_events where username = ?", "p05",
    )  # fmt: skip
    assert rows == 6 and stored < 1024  # of the 4 MB sent, the hub keeps a few hundred bytes


def test_an_events_time_is_the_hubs_not_the_clients(hub, class_of_ten):
    before = datetime.now(timezone.utc)
    lie = "[{'path': 'clock.ipynb', 'timestamp': '2001-01-01T00:00Z'}]"
    sent = post_from_kernel(hub, "p06", lie)
    assert sent["statuses"] == [201]
    (event,) = events_of(hub, user="p06", path="clock.ipynb")["events"]
    stamp = datetime.fromisoformat(event["timestamp"])
    assert before - timedelta(seconds=5) <= stamp <= datetime.now(timezone.utc)
    assert events_of(hub, user="p06", until="2002-01-01")["total"] == 0


DEEP = "'{\"cells\": [], \"metadata\": ' + '[' * 5000 + ']' * 5000 + ', \"nbformat\": 4}'"
BAD_ID = notebook(code("not a valid id!", "x = 1", 1))
MISSING_ATTACHMENT = notebook(markdown("m1", "![diagram](attachment:missing.png)"))
def test_notebooks_that_cannot_be_rendered_leave_the_pages_and_the_export_working(
    hub, admin, class_of_ten
):
    sent = post_from_kernel(hub, "p07", f"[{{'path': 'bad/deep.ipynb', 'content': {DEEP}}}]")
    assert sent["statuses"] == [201], sent  # not a 500
    saved = {"bad/id.ipynb": BAD_ID, "bad/attachment.ipynb": MISSING_ATTACHMENT,
             "bad/scripted.ipynb": SCRIPTED_EXPORT, "good.ipynb": FIRST}  # fmt: skip
    make_folder(hub, "p07", "bad")
    for path, content in saved.items():
        answer = save(hub, "p07", path, content)
        assert answer.status_code in (200, 201), answer.text
        wait_for_saves(hub, "p07", path, 1)
    for path in ("bad/deep.ipynb", "bad/id.ipynb", "bad/attachment.ipynb"):
        (event,) = saves(hub, "p07", path)
        assert event["has_content"], path
        view = labfleet_api(hub, "GET", f"/workshop/saves/{event['id']}")
        assert view.status_code == 200, (path, view.text)  # the participant's save opens
        if path == "bad/deep.ipynb":
            assert "not a notebook" in view.json()["problem"]
        else:
            assert view.json()["tail"], path  # its cells, as text
        page = admin.get(f"{hub.url}/hub/labfleet/workshop/saves/{event['id']}/html",
                         timeout=120)  # fmt: skip
        assert page.status_code == 409 and "cannot be shown" in page.text, (path, page.text)
    assert labfleet_api(hub, "GET", "/workshop").status_code == 200
    tails = labfleet_api(hub, "GET", "/workshop/tails", params={"path": "bad/deep.ipynb"})
    assert tails.status_code == 200
    # the whole class's export: the rest is there, each bad notebook with a note saying why
    answer = requests.get(f"{hub.url}/hub/api/labfleet/workshop/export",
                          headers={"Authorization": f"token {hub.token}"}, timeout=600)  # fmt: skip
    assert answer.status_code == 200, answer.text
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = archive.namelist()
    for path in ("bad/deep.ipynb", "bad/id.ipynb", "bad/attachment.ipynb"):
        note = archive.read(f"p07/{path}.not-rendered.txt").decode()
        assert "cannot be shown" in note, (path, note)
    assert "p07/good.html" in names and "p07/good.ipynb" in names
    # an exported page is sanitised and carries a policy that lets no script run
    exported = archive.read("p07/bad/scripted.html").decode()
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in exported
    assert "script-src" not in exported and "<script" not in exported
    body = exported[exported.index("<body") :]
    assert "onerror" not in body and "javascript:" not in body
    assert '<h1 id="Results">Results' in exported  # the notebook is there


def test_material_goes_to_participants_only(hub, callers):
    files = [{"path": "notes.txt", "content": b64("for you")}]
    for recipients, says in [
        ({"users": ["admin"]}, "participants only, not to admin"),
        ({"users": ["alice", "teacher"]}, "participants only, not to teacher"),
        ({"groups": ["instructors"]}, "no participants among the recipients"),
    ]:
        answer = handout(hub, token=callers["instructor"], files=files, recipients=recipients)
        assert answer.status_code == 400 and says in answer.json()["message"], answer.text
    assert read(hub, "teacher", "notes.txt") is None


def test_who_comes_later_gets_the_standing_hand_outs_not_the_withdrawn(hub, class_of_ten):
    standing = handout(hub, folder="welcome", files=[{"path": "hello.txt", "content": b64("hi")}])
    gone = handout(hub, folder="old", files=[{"path": "old.txt", "content": b64("old")}])
    assert standing.json()["standing"] and gone.json()["standing"]
    answer = labfleet_api(hub, "POST", f"/workshop/material/{gone.json()['id']}/withdraw")
    assert answer.status_code == 200
    assert answer.json()["withdrawn_by"] == "labfleet-tests" and answer.json()["withdrawn"]
    again = labfleet_api(hub, "POST", f"/workshop/material/{gone.json()['id']}/withdraw")
    assert again.status_code == 409 and "does not stand" in again.json()["message"]
    assert labfleet_api(hub, "POST", "/workshop/material/999999/withdraw").status_code == 404
    listed = labfleet_api(hub, "GET", "/workshop/material", params={"standing": "1"}).json()
    ids = [m["id"] for m in listed["material"]]
    assert standing.json()["id"] in ids and gone.json()["id"] not in ids
    assert all(m["standing"] for m in listed["material"])
    assert ("labfleet-tests", f"hand-out {gone.json()['id']}", "ok") in [
        row[:3] for row in audit_rows(hub, "workshop.withdraw")]  # fmt: skip
    # a participant who comes afterwards: the standing hand-out arrives at the first start
    hub.create_user("late")
    hub.spawn("late")
    wait_for(lambda: read(hub, "late", "welcome/hello.txt") == "hi", 60, "the hand-out to arrive")
    assert read(hub, "late", "old/old.txt") is None
    results = labfleet_api(hub, "GET", f"/workshop/material/{standing.json()['id']}").json()
    assert {r["user"]: r["status"] for r in results["results"]}["late"] == "delivered"


def test_workshop_mode_turns_off_and_on_in_running_servers_without_a_restart(hub):
    pid = hub.spawner_pid("alice")
    running = [u["name"] for u in hub.api("GET", "/users").json() if u["servers"]]
    off = labfleet_api(hub, "PUT", "/workshop/mode", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert off.json() == {"enabled": False, "told": len(running), "not_told": []}
    assert labfleet_api(hub, "GET", "/workshop/mode").json() == {"enabled": False}
    assert yaml.safe_load(hub.config_path.read_text())["workshop"]["enabled"] is False
    assert autosave(hub, "alice") == 120  # JupyterLab's own again
    assert save(hub, "alice", "day1/quiet.ipynb", FIRST).status_code in (200, 201)
    time.sleep(3)  # an event is sent within a second of a save
    assert not saves(hub, "alice", "day1/quiet.ipynb")

    on = labfleet_api(hub, "PUT", "/workshop/mode", json={"enabled": True})
    assert on.json() == {"enabled": True, "told": len(running), "not_told": []}
    assert save(hub, "alice", "day1/loud.ipynb", FIRST).status_code in (200, 201)
    wait_for_saves(hub, "alice", "day1/loud.ipynb", 1, timeout=15)
    assert autosave(hub, "alice") == 30 and autosave(hub, "teacher") == 120
    assert hub.spawner_pid("alice") == pid  # the same server all along
    rows = [(actor, detail["enabled"]) for actor, _, _, detail in audit_rows(hub, "workshop.mode")]
    assert rows[-2:] == [("labfleet-tests", False), ("labfleet-tests", True)]
    for bad in ({}, {"enabled": "yes"}, {"enabled": True, "autosave_seconds": 5}):
        answer = labfleet_api(hub, "PUT", "/workshop/mode", json=bad)
        assert answer.status_code == 400 and '{"enabled": true}' in answer.json()["message"]


def test_servers_kept_across_a_hub_restart_learn_the_mode_labfleet_yaml_says(hub):
    """workshop.enabled turned off in labfleet.yaml while the hub is down (a crash: the
    servers go on): once the hub is back, they follow, without a restart of theirs."""
    pid = hub.spawner_pid("alice")
    hub.proc.send_signal(signal.SIGKILL)
    hub.proc.wait()
    hub.update_config({"workshop": {"enabled": False}})
    hub.start()
    wait_for(lambda: autosave(hub, "alice") == 120, 30, "alice's server to learn the mode")
    assert hub.spawner_pid("alice") == pid
    assert save(hub, "alice", "day1/after.ipynb", FIRST).status_code in (200, 201)
    time.sleep(3)  # an event is sent within a second of a save
    assert not saves(hub, "alice", "day1/after.ipynb")


def test_events_are_kept_across_a_hub_restart(hub):
    """Last: the restart stops the servers of this module's hub."""
    before = events_of(hub, limit=1000)["total"]
    hub.restart()
    assert events_of(hub, limit=1000)["total"] == before

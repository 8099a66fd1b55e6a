"""Environments chosen on the spawn page or by a link: the link starts the one it names and
opens its notebook; another is refused listing the allowed ones; paths stay in the home.
Links that bring material: a temporary user's link pulls a real git repository served on
loopback into the home (nbgitpuller), and pulling again keeps what the user changed."""

from __future__ import annotations

import base64
import html
import json
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from git_repository import served_repository
from harness import create_account, get_file, labfleet_api, wait_for

HUB_CONFIG = {
    "auth": {"temporary_users": True, "temporary_logins_per_source": 0},
    "environments": {
        "choices": [
            {"name": "python", "display_name": "Python 3", "description": "The default."},
            # the same interpreter, started apart from the fork server, with less memory
            {
                "name": "small",
                "display_name": "Small",
                "description": "512 MB",
                "mem_limit": "512M",
                "python": sys.executable,
            },  # fmt: skip
            {"name": "gpu", "display_name": "With GPUs", "gpu": True},
        ]
    },
}


def server(hub, name: str) -> dict:
    return wait_for(
        lambda: (
            (hub.user(name)["servers"].get("") or {}).get("ready") and hub.user(name)["servers"][""]
        ),
        90,
        f"{name}'s server",
    )


def test_the_spawn_page_offers_the_environments(hub):
    password = create_account(hub, "sam", [])
    session, login = hub.login("sam", password)
    assert login.status_code == 302
    page = session.get(f"{hub.url}/hub/spawn", timeout=30).text
    assert 'id="labfleet-environments"' in page
    assert all(f'value="{n}"' in page for n in ("python", "small", "gpu"))


def test_a_link_starts_its_environment_and_opens_its_notebook(hub):
    browser = requests.Session()
    answer = browser.get(
        f"{hub.url}/hub/tmplogin",
        params={"env": "small", "notebook": "work/intro.ipynb"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/hub/spawn" and query["opt-env"] == ["small"]
    name = query["next"][0].split("/")[2]
    assert query["next"] == [f"/user/{name}/lab/tree/work/intro.ipynb"]
    started = browser.get(f"{hub.url}{location.path}?{location.query}", allow_redirects=False)
    assert started.status_code == 302, started.text
    running = server(hub, name)
    assert running["user_options"] == {"env": "small"}
    usage = labfleet_api(hub, "GET", f"/users/{name}/usage").json()
    assert usage["memory_limit_bytes"] == 512 * 1024**2
    hub.stop_server(name)


def test_without_an_environment_the_first_is_started(hub):
    answer = requests.get(f"{hub.url}/hub/tmplogin", allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and "opt-env" not in answer.headers["Location"]


def test_an_environment_not_on_the_list_is_refused_naming_those_that_are(hub):
    answer = requests.get(f"{hub.url}/hub/tmplogin", params={"env": "latest"}, timeout=30)
    assert answer.status_code == 400
    page = html.unescape(answer.text)
    assert "There is no environment 'latest'" in page
    assert "python (Python 3), small (Small), gpu (With GPUs)" in page
    password = create_account(hub, "tess", [])
    session, _ = hub.login("tess", password)
    spawn = session.get(f"{hub.url}/hub/spawn", params={"opt-env": "latest"}, timeout=30)
    assert spawn.status_code == 400 and "There is no environment" in html.unescape(spawn.text)
    assert not hub.user("tess")["servers"]


def test_a_notebook_path_that_leaves_the_home_is_refused(hub):
    for path in ("../../etc/passwd", "/etc/passwd", "work/../../x.ipynb", "a\\b"):
        answer = requests.get(
            f"{hub.url}/hub/tmplogin", params={"notebook": path}, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 400, path
        assert "home" in answer.text


def test_an_environment_with_gpus_needs_a_group_that_grants_them(hub):
    hub.create_user("gus")
    answer = hub.api("POST", "/users/gus/server", json={"env": "gpu"})
    assert answer.status_code == 403, answer.text
    assert "uses GPUs" in answer.json()["message"]
    assert not hub.user("gus")["servers"]


# -- links that bring material ----------------------------------------------------------

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
COURSE = "https://git.example.org/teacher/course.git"


def pull(hub, user: str, arguments: dict[str, list[str]]) -> str:
    """Pull as nbgitpuller's own page does once it opens (its event stream, to the end)."""
    answer = requests.get(f"{hub.url}/user/{user}/git-pull/api", params=arguments,
                          headers={"Authorization": f"token {hub.token}"}, timeout=180)  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert '"phase": "finished"' in answer.text, answer.text
    return answer.text


def content(hub, user: str, path: str):
    answer = get_file(hub, user, path)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()["content"]


def test_a_temporary_users_link_brings_a_repository_and_pulling_keeps_their_changes(hub):
    # handed out before the temporary user exists: it stands, and reaches them too
    welcome = labfleet_api(hub, "POST", "/workshop/material", json={
        "folder": "welcome",
        "files": [{"path": "hello.txt", "content": base64.b64encode(b"hi").decode()}]})  # fmt: skip
    assert welcome.status_code == 200 and welcome.json()["standing"], welcome.text
    files = {"intro.ipynb": NOTEBOOK, "exercise.py": "a = 1\nb = 2\n"}
    with served_repository("course", files) as repo:
        made = labfleet_api(hub, "GET", "/workshop/links", params={
            "repo": repo.url, "branch": "main", "file": "intro.ipynb", "env": "small"})  # fmt: skip
        assert made.status_code == 200, made.text
        assert made.json()["folder"] == "course"
        browser = requests.Session()
        answer = browser.get(f"{hub.url}{made.json()['temporary_link']}", allow_redirects=False,
                             timeout=30)  # fmt: skip
        assert answer.status_code == 302, answer.text
        location = urlsplit(answer.headers["Location"])
        query = parse_qs(location.query)
        assert location.path == "/hub/spawn" and query["opt-env"] == ["small"]
        (next_url,) = query["next"]
        name = next_url.split("/")[2]
        assert urlsplit(next_url).path == f"/user/{name}/git-pull"
        arguments = parse_qs(urlsplit(next_url).query)
        assert arguments == {"repo": [repo.url], "branch": ["main"], "targetpath": ["course"],
                             "urlpath": ["lab/tree/course/intro.ipynb"]}  # fmt: skip
        started = browser.get(f"{hub.url}{location.path}?{location.query}", allow_redirects=False)
        assert started.status_code == 302, started.text
        server(hub, name)
        page = browser.get(f"{hub.url}{next_url}", timeout=60)  # signed in, as a browser is
        assert page.status_code == 200 and "git-pull/static" in page.text, page.text[:500]
        pull(hub, name, arguments)
        assert content(hub, name, "course/exercise.py") == "a = 1\nb = 2\n"
        assert content(hub, name, "course/intro.ipynb")["nbformat"] == 4  # a notebook
        # the student works on the exercise; the instructor changes the same line upstream
        # and adds day 2: a pull brings day 2 and keeps the student's line
        mine = {"type": "file", "format": "text", "content": "a = 'mine'\nb = 2\n"}
        saved = requests.put(f"{hub.url}/user/{name}/api/contents/course/exercise.py",
                             json=mine, headers={"Authorization": f"token {hub.token}"},
                             timeout=30)  # fmt: skip
        assert saved.status_code == 200, saved.text
        repo.commit({"exercise.py": "a = 100\nb = 2\n", "day2.md": "# Day 2\n"}, "Day 2")
        pull(hub, name, arguments)
        assert content(hub, name, "course/exercise.py") == "a = 'mine'\nb = 2\n"
        assert content(hub, name, "course/day2.md") == "# Day 2\n"
    assert content(hub, name, "welcome/hello.txt") == "hi"
    hub.stop_server(name)


@pytest.mark.parametrize(
    "arguments, says",
    [
        ({"repo": "file:///etc/course.git"}, "The repository must be an address of https://"),
        ({"repo": "https://t:secret@git.example.org/c.git"}, "must not carry a user name"),
        ({"repo": COURSE, "branch": "--upload-pack=x"}, "not a branch name"),
        ({"repo": COURSE, "file": "../../etc/passwd"}, "inside the repository"),
        ({"repo": COURSE, "env": "latest"}, "There is no environment 'latest'"),
    ],
)  # fmt: skip
def test_bad_links_are_refused_saying_why(hub, arguments, says):
    made = labfleet_api(hub, "GET", "/workshop/links", params=arguments)
    assert made.status_code == 400 and says in made.json()["message"], made.text
    temporary = requests.get(f"{hub.url}/hub/tmplogin", params=arguments, allow_redirects=False,
                             timeout=30)  # fmt: skip
    assert temporary.status_code == 400 and says in html.unescape(temporary.text)


def test_a_link_opens_a_notebook_of_the_home_or_a_repositorys_file_not_both(hub):
    answer = requests.get(f"{hub.url}/hub/tmplogin", allow_redirects=False, timeout=30, params={
        "repo": COURSE, "notebook": "intro.ipynb"})  # fmt: skip
    assert answer.status_code == 400 and "or a repository's file" in html.unescape(answer.text)

"""Environments chosen on the spawn page or by a link: the link starts the one it names and
opens its notebook; another is refused listing the allowed ones; paths stay in the home."""

from __future__ import annotations

import html
import sys
from urllib.parse import parse_qs, urlsplit

import requests
from harness import create_account, labfleet_api, wait_for

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

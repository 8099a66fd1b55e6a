"""Groups that grant things: the resolution as plain dicts, the checks, then a real hub.

The hub (local backend) has a group from labfleet.yaml and gets more through the API;
what reaches a member's server is read from its process environment (/proc, as root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from harness import LABFLEET, server_environment, user_token
from jupyterhub.spawner import Spawner

from labfleet.backends import docker_grants
from labfleet.backends.links import sync_links
from labfleet.environment import is_reserved
from labfleet.groups import Mount, PropertiesError, Rules, check_properties, names, resolve

RULES = Rules(
    protected=("/boot", "/dev", "/etc", "/proc", "/root", "/srv/labfleet-data", "/sys"),
    volume_mounts=("workspace", ".cache"),
    read_only_mounts=True,
    backend="docker",
    docker_socket_group="docker-sock",
)
LOCAL_RULES = Rules(**{**RULES.__dict__, "read_only_mounts": False, "backend": "local"})


def grants(groups: dict) -> object:
    return resolve(groups, docker_socket_group="docker-sock", privileged_group="docker-privileged")


def check(properties: dict, group: str = "g", rules: Rules = RULES) -> dict:
    return check_properties(group, properties, rules, realpath=lambda p: p)


def problems(properties: dict, group: str = "g", rules: Rules = RULES) -> str:
    with pytest.raises(PropertiesError) as raised:
        check(properties, group, rules)
    return str(raised.value)


# -- resolution: plain dicts --------------------------------------------------------------


def test_environment_merges_by_name_and_the_higher_priority_wins():
    result = grants(
        {
            "course": {"priority": 1, "environment": {"COURSE": "ml", "SHARED": "course"}},
            "gpu": {"priority": 5, "environment": {"SHARED": "gpu", "CUDA_CACHE": "/tmp"}},
            "everyone": {"environment": {"SHARED": "everyone", "LEVEL": "0"}},
        }
    )
    assert result.environment == {
        "COURSE": "ml", "SHARED": "gpu", "CUDA_CACHE": "/tmp", "LEVEL": "0"
    }  # fmt: skip
    assert result.sources["environment.SHARED"] == "gpu"
    assert result.sources["environment.LEVEL"] == "everyone"


def test_at_equal_priority_the_name_that_sorts_last_wins():
    result = grants({"b": {"environment": {"X": "b"}}, "a": {"environment": {"X": "a"}}})
    assert result.environment == {"X": "b"}


def test_limits_come_from_the_highest_priority_group_that_sets_them_even_if_lower():
    result = grants(
        {
            "big": {"priority": 1, "mem_limit": "8G", "cpu_limit": 4.0},
            "capped": {"priority": 9, "mem_limit": "1G"},
            "none": {"priority": 20},
        }
    )
    assert result.mem_limit == 1024**3 and result.sources["mem_limit"] == "capped"
    assert result.cpu_limit == 4.0 and result.sources["cpu_limit"] == "big"
    assert grants({"none": {}}).mem_limit is None


def test_mounts_are_combined_and_the_higher_priority_wins_a_place():
    result = grants(
        {
            "low": {
                "mounts": [
                    {"host": "/srv/a", "path": "data", "mode": "ro"},
                    {"host": "/srv/keep", "path": "keep", "mode": "ro"},
                    {"host": "/srv/inner", "path": "shared/inner", "mode": "ro"},
                ]
            },
            "high": {
                "priority": 3,
                "mounts": [
                    {"host": "/srv/b", "path": "data", "mode": "rw"},
                    {"host": "/srv/shared", "path": "shared", "mode": "rw"},
                ],
            },
        }
    )
    assert result.mounts == (
        Mount("/srv/b", "data", "rw"),
        Mount("/srv/keep", "keep", "ro"),
        Mount("/srv/shared", "shared", "rw"),
    )
    assert len(result.notices) == 2
    assert "/srv/a -> ~/data of group low is replaced by /srv/b" in result.notices[0]
    assert "~/shared/inner" in result.notices[1]


def test_images_combine_and_grants_come_from_any_group():
    result = grants(
        {
            "a": {"images": ["x:1", "y:1"], "gpu": True},
            "b": {"priority": 9, "images": ["y:1", "z:2"], "gpu": False, "user_environment": True},
        }
    )
    assert result.images == ("x:1", "y:1", "z:2")
    assert result.gpu and result.user_environment
    assert not grants({"a": {}}).gpu


def test_docker_access_comes_from_the_named_groups():
    assert grants({"docker-sock": {}}).docker_socket
    assert grants({"docker-privileged": {}}).privileged
    plain = grants({"students": {}})
    assert not plain.docker_socket and not plain.privileged
    assert grants({"docker-sock": {}, "docker-privileged": {}}).granted() == {
        "docker_socket", "privileged"
    }  # fmt: skip


# -- checks of one group's properties ----------------------------------------------------


def test_properties_are_normalised():
    checked = check(
        {
            "priority": 2,
            "environment": {"PORT": 8080, "NAME": "x"},
            "cpu_limit": 1,
            "mem_limit": "1.5G",
            "mounts": [{"host": "/srv/data/", "path": "data/sets"}],
            "images": ["quay.io/jupyter/scipy-notebook:2024-10-07", "python:3.12", "python:3.12"],
            "gpu": False,
        }
    )
    assert checked == {
        "priority": 2,
        "environment": {"PORT": "8080", "NAME": "x"},
        "cpu_limit": 1.0,
        "mem_limit": "1.5G",
        "gpu": False,
        "mounts": [{"host": "/srv/data", "path": "data/sets", "mode": "ro"}],
        "images": ["python:3.12", "quay.io/jupyter/scipy-notebook:2024-10-07"],
    }


@pytest.mark.parametrize(
    "properties, expected",
    [
        ({"mem_limt": "1G"}, "unknown properties mem_limt"),
        ({"priority": True}, "priority must be a whole number"),
        ({"cpu_limit": 0}, "cpu_limit 0 is not a number of CPUs above 0"),
        ({"mem_limit": "lots"}, "mem_limit 'lots' is not a size"),
        ({"mem_limit": "1M"}, "mem_limit '1M' is not a size of at least 64M"),
        ({"gpu": "yes"}, "gpu must be true or false"),
        ({"environment": {"PATH": "/x"}}, "reserved names: PATH"),
        ({"environment": {"JUPYTERHUB_API_TOKEN": "x"}}, "JUPYTERHUB_*"),
        (
            {"environment": {"NVIDIA_VISIBLE_DEVICES": "all"}},
            "reserved names: NVIDIA_VISIBLE_DEVICES",
        ),
        ({"environment": {"1X": "x"}}, "is not a variable name"),
        ({"images": ["Not An Image"]}, "not image names: 'Not An Image'"),
        ({"mounts": [{"host": "/", "path": "root"}]}, "/ contains the protected /boot"),
        ({"mounts": [{"host": "/etc", "path": "etc"}]}, "/etc is protected"),
        ({"mounts": [{"host": "/etc/ssl", "path": "ssl"}]}, "/etc/ssl is protected (/etc)"),
        ({"mounts": [{"host": "/proc", "path": "p"}]}, "/proc is protected"),
        ({"mounts": [{"host": "/root/.ssh", "path": "s"}]}, "protected (/root)"),
        (
            {"mounts": [{"host": "/srv", "path": "s"}]},
            "/srv contains the protected /srv/labfleet-data",
        ),
        ({"mounts": [{"host": "/srv/labfleet-data/hub", "path": "h"}]}, "protected"),
        ({"mounts": [{"host": "/var/run/docker.sock", "path": "d"}]}, "only the group docker-sock"),
        ({"mounts": [{"host": "/run", "path": "r"}]}, "contains the Docker socket"),
        ({"mounts": [{"host": "relative", "path": "r"}]}, "host must be an absolute path"),
        ({"mounts": [{"host": "/srv/../etc", "path": "r"}]}, "without '..'"),
        (
            {"mounts": [{"host": "/srv/d", "path": "../out"}]},
            "path must be a folder inside the home",
        ),
        ({"mounts": [{"host": "/srv/d", "path": "/abs"}]}, "path must be a folder inside the home"),
        ({"mounts": [{"host": "/srv/d", "path": "workspace"}]}, "~/workspace is a volume"),
        ({"mounts": [{"host": "/srv/d", "path": "d", "mode": "rx"}]}, "mode must be ro or rw"),
        (
            {"mounts": [{"host": "/srv/a", "path": "d"}, {"host": "/srv/b", "path": "d/e"}]},
            "mounts at ~/d and ~/d/e overlap",
        ),
    ],
)
def test_bad_properties_are_refused_with_the_reason(properties, expected):
    assert expected in problems(properties)


def test_every_problem_is_named_at_once():
    message = problems({"gpu": 1, "cpu_limit": -1, "environment": {"HOME": "/"}})
    assert "gpu" in message and "cpu_limit" in message and "HOME" in message


def test_the_docker_socket_group_may_mount_the_socket():
    mounts = [{"host": "/var/run/docker.sock", "path": "docker.sock", "mode": "rw"}]
    assert (
        check({"mounts": mounts}, group="docker-sock")["mounts"][0]["host"]
        == "/var/run/docker.sock"
    )


def test_links_to_protected_paths_are_resolved_first(tmp_path):
    sneaky = tmp_path / "config"
    sneaky.symlink_to("/etc")
    with pytest.raises(PropertiesError, match="is protected"):
        check_properties("g", {"mounts": [{"host": str(sneaky), "path": "c"}]}, RULES)


def test_read_only_mounts_are_refused_where_they_cannot_be_enforced():
    mount = {"host": "/srv/d", "path": "d", "mode": "ro"}
    assert "the local backend cannot make a mount read-only" in problems(
        {"mounts": [mount]}, rules=LOCAL_RULES
    )
    assert check({"mounts": [{**mount, "mode": "rw"}]}, rules=LOCAL_RULES)


def test_the_names_jupyterhub_keeps_from_the_hub_are_reserved():
    for name in Spawner.class_traits()["env_keep"].default():
        assert is_reserved(name), name
    for name in ("HOME", "USER", "SHELL", "JPY_API_TOKEN", "JUPYTERHUB_USER", "MEM_LIMIT"):
        assert is_reserved(name)
    assert not is_reserved("MY_TOKEN")


# -- docker: what the grants become ---------------------------------------------------------


def test_docker_gets_bind_mounts_host_config_and_a_digest_of_the_grants():
    granted = grants(
        {
            "docker-sock": {"mounts": [{"host": "/srv/d", "path": "data", "mode": "ro"}]},
            "docker-privileged": {"gpu": True},
        }
    )
    mounts = docker_grants.mounts(granted, "/home/jovyan", "/var/run/docker.sock")
    assert [(m["Source"], m["Target"], m["ReadOnly"]) for m in mounts] == [
        ("/srv/d", "/home/jovyan/data", True),
        ("/var/run/docker.sock", "/var/run/docker.sock", False),
    ]
    config = docker_grants.host_config(granted, ["GPU-1"], socket_gid=998)
    assert config == {
        "privileged": True,
        "group_add": ["998"],
        "device_requests": [
            {"driver": "nvidia", "capabilities": [["gpu"]], "device_ids": ["GPU-1"]}
        ],
    }
    assert docker_grants.host_config(granted, [], socket_gid=None) == {"privileged": True}
    assert docker_grants.engine_socket("tcp://docker:2375") is None
    digest = docker_grants.fingerprint(granted, ["GPU-1"])
    assert digest == docker_grants.fingerprint(granted, ["GPU-1"])
    assert digest != docker_grants.fingerprint(granted, [])
    assert digest != docker_grants.fingerprint(grants({"docker-sock": {}}), ["GPU-1"])


# -- local mounts: links made safely as root --------------------------------------------


def test_links_are_made_replaced_and_removed_never_through_a_users_link(tmp_path):
    home, record, outside = tmp_path / "home", tmp_path / "record.json", tmp_path / "outside"
    home.mkdir()
    outside.mkdir()
    uid, gid = os.getuid(), os.getgid()
    (home / "data").symlink_to("/somewhere/old")  # the user's own link, at a mount's place
    (home / "mine").mkdir()  # a folder of the user's, at another mount's place
    (home / "escape").symlink_to(outside)  # a link the user made to get us out of the home
    mounts = [
        Mount("/srv/data", "data", "rw"),
        Mount("/srv/x", "mine", "rw"),
        Mount("/srv/deep", "sets/deep", "rw"),
        Mount("/srv/y", "escape/y", "rw"),
    ]
    skipped = sync_links(home, mounts, record, uid, gid)
    assert os.readlink(home / "data") == "/srv/data"
    assert os.readlink(home / "sets" / "deep") == "/srv/deep"
    assert (home / "mine").is_dir() and not (home / "mine").is_symlink()
    assert list(outside.iterdir()) == []
    assert len(skipped) == 2
    assert "~/mine exists and is not a link" in skipped[0]
    assert "~/escape is not a folder" in skipped[1]
    # a mount no group gives any more: its link goes, the user's things stay
    assert sync_links(home, [Mount("/srv/deep", "sets/deep", "rw")], record, uid, gid) == []
    assert not (home / "data").exists() and not (home / "data").is_symlink()
    assert (home / "mine").is_dir() and (home / "escape").is_symlink()


# -- a real hub ---------------------------------------------------------------------------

DATASETS = Path(f"/tmp/labfleet-test-datasets-{os.getpid()}")  # reachable by the lab accounts
HUB_CONFIG = {
    "hub": {"load_groups": {"course": {"users": ["ana", "ben"]}}},
    "groups": {
        "properties": {
            "course": {
                "priority": 1,
                "environment": {"COURSE": "ml101", "SHARED": "from-course"},
                "mem_limit": "1G",
                "mounts": [{"host": str(DATASETS), "path": "datasets", "mode": "rw"}],
            }
        }
    },
}


def group_api(hub, method: str, group: str, token: str | None = None, **kwargs):
    return hub.api(method, f"/labfleet/groups/{group}", token=token, **kwargs)


@pytest.fixture(scope="module", autouse=True)
def _datasets():
    DATASETS.mkdir(mode=0o711)
    (DATASETS / "README.txt").write_text("shared data\n")
    yield
    shutil.rmtree(DATASETS, ignore_errors=True)


@pytest.fixture(scope="module")
def gpu_class(hub):
    """A group made through JupyterHub's API, its properties set through labfleet's."""
    assert hub.api("POST", "/groups/gpu-class").status_code == 201
    hub.api("POST", "/groups/gpu-class/users", json={"users": ["ben"]}).raise_for_status()
    response = group_api(
        hub,
        "PUT",
        "gpu-class",
        json={
            "priority": 5,
            "environment": {"SHARED": "from-gpu-class"},
            "cpu_limit": 2,
            "gpu": True,
            "images": ["quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07"],
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_groups_of_labfleet_yaml_are_applied_at_start_and_read_only(hub):
    answer = group_api(hub, "GET", "course").json()
    assert answer["users"] == ["ana", "ben"]
    assert answer["configured"] is True
    assert answer["properties"]["environment"] == {"COURSE": "ml101", "SHARED": "from-course"}
    assert answer["properties"]["mounts"] == [
        {"host": str(DATASETS), "path": "datasets", "mode": "rw"}
    ]
    # its mem_limit holds: every server runs in a control group of its own
    assert answer["not_applied"] == {}
    # stored in JupyterHub's own group properties
    assert hub.api("GET", "/groups/course").json()["properties"]["priority"] == 1
    refused = group_api(hub, "PUT", "course", json={"priority": 2})
    assert refused.status_code == 409
    assert "labfleet.yaml" in refused.json()["message"]


def test_the_start_says_what_the_local_backend_does_not_apply(hub):
    log = "".join(hub.start_output)
    line = next(x for x in hub.start_output if "The local backend does not apply" in x)
    assert "gpu:" in line and "images:" in line and "docker_socket:" in line
    # the limits hold in the servers' control groups: not among what is not applied
    assert "cpu_limit" not in line and "mem_limit" not in line
    assert "Group course sets" not in log


def test_properties_set_through_the_api_keep_other_tools_keys(hub, gpu_class):
    assert gpu_class["message"].startswith("Saved group gpu-class. Changes apply at the next start")
    assert gpu_class["properties"]["cpu_limit"] == 2.0
    assert set(gpu_class["not_applied"]) == {"gpu", "images"}
    hub.api(
        "PUT", "/groups/gpu-class/properties", json={**gpu_class["properties"], "colour": "red"}
    )
    again = group_api(hub, "PUT", "gpu-class", json=gpu_class["properties"])
    assert again.status_code == 200, again.text
    stored = hub.api("GET", "/groups/gpu-class").json()["properties"]
    assert stored["colour"] == "red" and stored["priority"] == 5


def test_bad_input_changes_nothing_and_names_every_problem(hub, gpu_class):
    before = group_api(hub, "GET", "gpu-class").json()["properties"]
    response = group_api(
        hub,
        "PUT",
        "gpu-class",
        json={
            "environment": {"HOME": "/tmp", "OK": "1"},
            "mounts": [
                {"host": "/etc", "path": "etc", "mode": "rw"},
                {"host": str(DATASETS), "path": "../out", "mode": "ro"},
            ],
        },
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Nothing was changed")
    assert "reserved names: HOME" in message and "JUPYTERHUB_*" in message
    assert "/etc is protected" in message
    assert "~/../out: path must be a folder inside the home" in message
    for body in ("not json", '["a list"]'):
        bad = group_api(hub, "PUT", "gpu-class", data=body)
        assert bad.status_code == 400 and bad.json()["message"]
    assert group_api(hub, "GET", "gpu-class").json()["properties"] == before


def test_unknown_groups_are_404(hub):
    response = group_api(hub, "GET", "no-such-group")
    assert response.status_code == 404
    assert "POST /hub/api/groups/no-such-group" in response.json()["message"]


def test_a_member_of_two_groups_gets_the_documented_result(hub, gpu_class):
    hub.spawn("ben")
    try:
        env = server_environment(hub, "ben")
        assert env["COURSE"] == "ml101"  # only course sets it
        assert env["SHARED"] == "from-gpu-class"  # priority 5 beats 1
        assert env["MEM_LIMIT"] == str(1024**3)  # only course sets it; advertised on local
        assert env["CPU_LIMIT"] == "2.0"
        link = hub.home("ben") / "datasets"
        assert os.readlink(link) == str(DATASETS)
        assert (link / "README.txt").read_text() == "shared data\n"
        log = hub.tail(200)
        assert "Server of ben: gpu is not applied" in log
        # the limits are the server's control group's, not only variables it is shown
        assert "mem_limit (group course) is not applied" not in log
        usage = hub.api("GET", "/labfleet/users/ben/usage").json()
        assert usage["memory_limit_bytes"] == 1024**3

        # a change applies at the next start, not to the running server
        properties = {**gpu_class["properties"], "environment": {"SHARED": "changed"}}
        assert group_api(hub, "PUT", "gpu-class", json=properties).status_code == 200
        assert server_environment(hub, "ben")["SHARED"] == "from-gpu-class"
    finally:
        hub.stop_server("ben")
    hub.spawn("ben")
    try:
        assert server_environment(hub, "ben")["SHARED"] == "changed"
    finally:
        hub.stop_server("ben")


def test_a_group_broken_through_jupyterhubs_api_stops_its_members_start(hub):
    hub.create_user("cleo")
    assert hub.api("POST", "/groups/broken", json={}).status_code == 201
    hub.api("POST", "/groups/broken/users", json={"users": ["cleo"]}).raise_for_status()
    hub.api("PUT", "/groups/broken/properties", json={"mounts": [{"host": "/etc", "path": "e"}]})
    shown = group_api(hub, "GET", "broken").json()
    assert shown["problems"] == ["mount /etc -> ~/e: /etc is protected (/etc)"]
    response = hub.api("POST", "/users/cleo/server")
    assert response.status_code == 500
    assert "group broken: mount /etc -> ~/e: /etc is protected" in response.json()["message"]
    assert not hub.user("cleo")["servers"]


# -- who may call the group route ----------------------------------------------------------

CALLERS = {"anonymous": 403, "other user": 403, "member": 403, "narrow token": 403, "admin": 200}


@pytest.fixture(scope="module")
def tokens(hub, gpu_class):
    hub.create_user("outsider")
    return {
        "anonymous": None,
        "other user": user_token(hub, "outsider"),
        "member": user_token(hub, "ben"),
        "narrow token": user_token(hub, "admin", scopes=["read:groups", "admin:users"]),
        "admin": hub.token,
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_permission_matrix(hub, tokens, gpu_class, caller, method):
    headers = {"Authorization": f"token {tokens[caller]}"} if tokens[caller] else {}
    response = requests.request(
        method,
        f"{hub.url}/hub/api/labfleet/groups/gpu-class",
        json=gpu_class["properties"] if method == "PUT" else None,
        headers=headers,
        timeout=30,
    )
    assert response.status_code == CALLERS[caller], response.text
    assert response.headers["Content-Type"].startswith("application/json")
    if CALLERS[caller] >= 400:
        assert response.json() == {
            "status": CALLERS[caller], "message": response.json()["message"]
        }  # fmt: skip
        assert "admin:groups" in response.json()["message"] or caller == "anonymous"


def test_the_admin_page_needs_a_login(hub):
    page = f"{hub.url}/hub/labfleet/groups"
    assert requests.get(page, timeout=30, allow_redirects=False).status_code == 302
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    answer = session.get(page, timeout=30)
    assert answer.status_code == 200
    assert "Changes apply at the next start of each member" in answer.text
    assert "The local backend does not apply these properties" in answer.text


def test_browser_puts_need_the_xsrf_token(hub, gpu_class):
    session, _ = hub.login("admin", hub.admin_password)
    url = f"{hub.url}/hub/api/labfleet/groups/gpu-class"
    assert session.put(url, json=gpu_class["properties"], timeout=30).status_code == 403
    xsrf = session.cookies.get("_xsrf", path="/hub/")
    allowed = session.put(
        url, json=gpu_class["properties"], headers={"X-XSRFToken": xsrf}, timeout=30
    )
    assert allowed.status_code == 200, allowed.text


def test_new_group_names_follow_one_rule_on_jupyterhubs_routes(hub):
    refused = hub.api("POST", "/groups/CS 101")  # as JupyterHub's admin page and ours post
    assert refused.status_code == 400
    said = refused.json()["message"]
    assert said == f"Invalid group name 'CS 101': {names.RULE} (e.g. 'CS-101')."
    assert hub.api("GET", "/groups/CS 101").status_code == 404
    bulk = hub.api("POST", "/groups", json={"groups": ["fine-1", "kurs@uni.example"]})
    assert bulk.status_code == 400 and "'kurs@uni.example'" in bulk.json()["message"]
    assert hub.api("GET", "/groups/fine-1").status_code == 404  # none of them
    assert hub.api("POST", "/groups/CS-101").status_code == 201
    assert ("labfleet-tests", "CS-101") in hub.query(
        "select actor, target from labfleet_audit_events where action = 'group.create'"
    )


def test_a_group_is_deleted_unless_labfleet_yaml_makes_it(hub):
    kept = hub.api("DELETE", "/groups/course")
    assert kept.status_code == 409 and "set in labfleet.yaml" in kept.json()["message"]
    assert hub.api("POST", "/groups/leaving", json={"users": ["ana"]}).status_code == 201
    assert hub.api("DELETE", "/groups/leaving").status_code == 204
    assert hub.api("GET", "/groups/leaving").status_code == 404
    assert hub.api("GET", "/users/ana").json()["groups"] == ["course"]  # ana stays
    assert ("labfleet-tests", "leaving") in hub.query(
        "select actor, target from labfleet_audit_events where action = 'group.delete'"
    )


def test_audit_records_who_changed_a_group(hub, gpu_class):
    rows = hub.query(
        "select actor, target from labfleet_audit_events where action = 'group.update'"
    )
    assert ("labfleet-tests", "gpu-class") in rows


# -- a bad groups section stops the start ----------------------------------------------------


@pytest.mark.slow
def test_a_bad_groups_section_stops_startup_naming_the_problems(tmp_path):
    config = tmp_path / "labfleet.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "labfleet": {
                    "data_dir": str(tmp_path / "data"),
                    "registry": str(tmp_path / "hubs.json"),
                },
                "local": {"isolate_users": False},
                "groups": {
                    "properties": {
                        "bad": {
                            "environment": {"USER": "x"},
                            "mounts": [{"host": "/", "path": "r"}],
                        },
                        "CS 101": {"priority": 1},
                    }
                },
            }
        )
    )
    result = subprocess.run(
        [LABFLEET, "up", "--config", str(config)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert re.search(
        r"key 'groups.properties': group bad: .*reserved names: USER", result.stderr
    )
    assert "/ contains the protected" in result.stderr
    assert "invalid group name 'CS 101'" in result.stderr

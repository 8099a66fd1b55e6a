"""Groups that grant things on the docker backend, checked on the real engine's containers.

Limits, bind mounts (read-only enforced), the Docker socket and privileged containers
come from the user's groups; a container is made anew when they change, and kept when
they do not. Names start with a prefix of this module's, removed at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import docker
import pytest
from harness import docker_engine, remove_docker_objects, skip_without_docker

skip_without_docker()

PREFIX = f"lfg{secrets.token_hex(3)}"
DATASETS = Path(f"/tmp/labfleet-test-docker-datasets-{os.getpid()}")
HUB_CONFIG = {
    "labfleet": {"backend": "docker"},
    "docker": {
        "container_name_template": f"{PREFIX}-{{username}}",
        "volume_name_template": f"{PREFIX}-{{username}}-{{volume}}",
    },
    "culling": {"enabled": False},
    "hub": {
        "load_groups": {
            "course": {"users": ["dan", "pia"]},
            "docker-sock": {"users": ["dan"]},
            "docker-privileged": {"users": ["pia"]},
            "gpu-users": {"users": ["gus"]},
        }
    },
    "groups": {
        "properties": {
            "course": {
                "environment": {"COURSE": "ml101", "SHARED": "course"},
                "mem_limit": "512M",
                "cpu_limit": 0.5,
                "mounts": [{"host": str(DATASETS), "path": "datasets", "mode": "ro"}],
            },
            "gpu-users": {"gpu": True},
        }
    },
}


@pytest.fixture(scope="module", autouse=True)
def engine():
    """A client of the engine and the host folder to mount; both cleaned up at the end."""
    DATASETS.mkdir()
    (DATASETS / "README.txt").write_text("shared data\n")
    client = docker.DockerClient(base_url=docker_engine(), timeout=30)
    yield client
    remove_docker_objects(client, PREFIX)
    client.close()
    shutil.rmtree(DATASETS, ignore_errors=True)


@pytest.fixture(scope="module")
def fast(hub):
    """A group made through the API: a higher priority, a bigger memory limit."""
    assert hub.api("POST", "/groups/fast").status_code == 201
    hub.api("POST", "/groups/fast/users", json={"users": ["dan"]}).raise_for_status()
    properties = {"priority": 5, "mem_limit": "1G", "environment": {"SHARED": "fast"}}
    response = hub.api("PUT", "/labfleet/groups/fast", json=properties)
    assert response.status_code == 200, response.text
    assert response.json()["not_applied"] == {}
    return properties


def container(engine, user: str):
    return engine.containers.get(f"{PREFIX}-{user}")


def run(box, command: str, user: str = "jovyan") -> tuple[int, str]:
    code, output = box.exec_run(["sh", "-c", command], user=user)
    return code, output.decode()


def test_a_member_of_several_groups_gets_limits_mounts_and_the_socket(hub, engine, fast):
    hub.spawn("dan")
    box = container(engine, "dan")
    config = box.attrs["HostConfig"]
    assert config["Memory"] == 1024**3  # fast (priority 5) beats course's 512M
    assert config["CpuQuota"] == 50_000 and config["CpuPeriod"] == 100_000  # course only
    assert config["Privileged"] is False
    env = dict(line.split("=", 1) for line in box.attrs["Config"]["Env"])
    assert env["COURSE"] == "ml101" and env["SHARED"] == "fast"
    binds = {m["Destination"]: m for m in box.attrs["Mounts"] if m["Type"] == "bind"}
    assert binds["/home/jovyan/datasets"]["Source"] == str(DATASETS)
    assert binds["/home/jovyan/datasets"]["RW"] is False
    assert run(box, "cat ~/datasets/README.txt") == (0, "shared data\n")
    code, output = run(box, "touch ~/datasets/new")
    assert code != 0 and "Read-only file system" in output
    # the socket, usable by the server's own user through the socket's group
    assert "/var/run/docker.sock" in binds
    talk = (
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock');"
        "s.sendall(b'GET /_ping HTTP/1.0\\r\\n\\r\\n'); print(s.recv(200).decode())"
    )
    code, output = run(box, f'python3 -c "{talk}"')
    assert code == 0 and output.startswith("HTTP/1.0 200 OK"), output


def test_privileged_containers_for_the_privileged_group_only(hub, engine):
    hub.spawn("pia")
    box = container(engine, "pia")
    assert box.attrs["HostConfig"]["Privileged"] is True
    assert "/var/run/docker.sock" not in {m["Destination"] for m in box.attrs["Mounts"]}
    hub.stop_server("pia")


def test_changes_make_a_new_container_at_the_next_start_and_only_then(hub, engine, fast):
    hub.stop_server("dan")
    hub.spawn("dan")
    kept = container(engine, "dan").id  # nothing changed: the same container
    response = hub.api("PUT", "/labfleet/groups/fast", json={**fast, "mem_limit": "768M"})
    assert response.status_code == 200
    assert response.json()["running"] == ["dan"]
    assert container(engine, "dan").attrs["HostConfig"]["Memory"] == 1024**3  # still running
    hub.stop_server("dan")
    hub.spawn("dan")
    box = container(engine, "dan")
    assert box.id != kept
    assert box.attrs["HostConfig"]["Memory"] == 768 * 1024**2
    hub.stop_server("dan")


def test_gpu_access_without_a_gpu_is_said_not_applied_and_gpus_stay_hidden(hub, engine):
    not_applied = hub.api("GET", "/labfleet/groups/gpu-users").json()["not_applied"]
    assert not_applied["gpu"].startswith("GPU groups get no GPU on this hub")
    hub.spawn("gus")
    box = container(engine, "gus")
    assert not box.attrs["HostConfig"]["DeviceRequests"]
    env = dict(line.split("=", 1) for line in box.attrs["Config"]["Env"])
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void" and env["CUDA_VISIBLE_DEVICES"] == ""
    assert "Server of gus: gpu is not applied: GPU groups get no GPU on this hub" in hub.tail(300)
    hub.stop_server("gus")

"""The docker backend on the real engine: containers, named volumes, restart in place, logs.

A real hub with ``labfleet.backend: docker`` drives the servers; the control panel's API
is used as a user would. Every container and volume the module makes has a name that
starts with a prefix of its own, and is removed at the end.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import threading
import time

import docker
import pytest
import requests
from harness import (
    SPAWN_TIMEOUT,
    docker_engine,
    free_port,
    get_file,
    labfleet_api,
    panel,
    put_file,
    remove_docker_objects,
    run_labfleet,
    skip_without_docker,
    wait_for,
)

from labfleet.backends.base import BackendError
from labfleet.backends.docker import DockerBackend
from labfleet.volumes import DEFAULT_VOLUMES, parse_volumes

skip_without_docker()

PREFIX = f"lft{secrets.token_hex(3)}"
VOLUMES = {
    **DEFAULT_VOLUMES,
    # a mount point that the image does not have: Docker would make it root's
    "projects": {"label": "Projects", "mount": "data/projects"},
}
NAMES = {
    "container_name_template": f"{PREFIX}-{{username}}",
    "volume_name_template": f"{PREFIX}-{{username}}-{{volume}}",
}
HUB_CONFIG = {
    "labfleet": {"backend": "docker", "volumes": VOLUMES},
    "docker": NAMES,
    # the cache volume is mounted at ~/.cache: let the contents API reach it; and read the
    # users' own ~/.jupyter, which test_logs_explain_a_failed_start breaks on purpose
    "spawner": {"args": ["--ContentsManager.allow_hidden=True"], "disable_user_config": False},
    "activity": {"stats_interval": 5},
    "workshop": {"enabled": True},
    # the first is the default; the second names an image this engine lacks
    "environments": {
        "choices": [
            {"name": "lab", "display_name": "Lab"},
            {"name": "elsewhere", "display_name": "Elsewhere", "image": "labfleet-missing:1"},
        ]
    },
}
USER = "o.brien"
CONTAINER = f"{PREFIX}-o-2ebrien"
FILES = {
    "home": "kept.txt",
    "workspace": "workspace/kept.txt",
    "cache": ".cache/kept.txt",
    "projects": "data/projects/kept.txt",
}


@pytest.fixture(scope="module", autouse=True)
def engine():
    """A client of the engine; removes the module's containers, volumes and images at the end.

    Autouse, so it is set up before the hub and cleans up after the hub has stopped.
    """
    client = docker.DockerClient(base_url=docker_engine(), timeout=30)
    yield client
    remove_docker_objects(client, PREFIX)
    client.close()


@pytest.fixture(scope="module")
def obrien(engine, hub):
    """o.brien's running server, with a file in each volume (so each is writable)."""
    hub.create_user(USER)
    hub.spawn(USER)
    for volume, path in FILES.items():
        put_file(hub, USER, path, f"in {volume}")
    return USER


def backend(**traits) -> DockerBackend:
    """A backend in this process, on the same engine and names as the hub's."""
    return DockerBackend(volumes=parse_volumes(VOLUMES), **{**NAMES, **traits})


def container_id(engine) -> str:
    return engine.containers.get(CONTAINER).id


def test_names_come_from_the_escaped_user_name():
    default = DockerBackend(volumes=parse_volumes(DEFAULT_VOLUMES))
    assert default.container_name("o.brien") == "labfleet-o-2ebrien"
    assert default.mounts("o.brien") == {
        "labfleet-o-2ebrien-home": "/home/jovyan",
        "labfleet-o-2ebrien-workspace": "/home/jovyan/workspace",
        "labfleet-o-2ebrien-cache": "/home/jovyan/.cache",
    }


def test_an_unreachable_engine_is_a_503_naming_it(tmp_path):
    url = f"unix://{tmp_path}/no-docker.sock"
    with pytest.raises(BackendError) as error:
        asyncio.run(backend(engine_url=url, engine_timeout=2).list_volumes(USER))
    assert error.value.status_code == 503
    assert f"the Docker engine at {url} is not reachable" in error.value.message


def test_new_volumes_are_removed_when_they_cannot_be_given_to_the_image_user(engine):
    image = f"{PREFIX}-ghost:latest"
    dockerfile = io.BytesIO(f"FROM {DockerBackend.image.default_value}\nUSER ghost\n".encode())
    engine.images.build(fileobj=dockerfile, tag=image, network_mode="none", rm=True)
    with pytest.raises(BackendError) as error:
        asyncio.run(backend(image=image).prepare_volumes("casper"))
    assert error.value.status_code == 500
    assert "could not give the volumes of casper to ghost" in error.value.message
    assert not engine.volumes.list(filters={"name": f"{PREFIX}-casper"})


def test_volumes_are_labelled_docker_volumes_mounted_below_the_home(hub, engine, obrien):
    answer = panel(hub, "GET", obrien, "volumes").json()
    assert answer["backend"] == "docker" and answer["server_running"] is True
    volumes = {v["name"]: v for v in answer["volumes"]}
    assert sorted(volumes) == sorted(VOLUMES)
    for name, volume in volumes.items():
        assert volume["resource"] == f"{PREFIX}-o-2ebrien-{name}"
        assert volume["exists"] and volume["size_bytes"] > 0, volume
        labels = engine.volumes.get(volume["resource"]).attrs["Labels"]
        assert labels == {"labfleet.user": "o.brien", "labfleet.volume": name}
    container = engine.containers.get(CONTAINER)
    assert container.labels["labfleet.user"] == "o.brien"
    assert container.attrs["HostConfig"]["NetworkMode"] == "host"
    mounts = {m["Name"]: m["Destination"] for m in container.attrs["Mounts"] if "Name" in m}
    binds = {m["Destination"]: m["RW"] for m in container.attrs["Mounts"] if "Name" not in m}
    # JupyterLab's branding (its news prompt off) is the only folder of the host, read-only
    # beside the branding (read-only): the folder of the server's socket, and the hub's
    assert binds == {
        "/etc/labfleet/branding": False, "/run/labfleet": True, "/run/labfleet-hub": False
    }
    assert mounts == {
        f"{PREFIX}-o-2ebrien-home": "/home/jovyan",
        f"{PREFIX}-o-2ebrien-workspace": "/home/jovyan/workspace",
        f"{PREFIX}-o-2ebrien-cache": "/home/jovyan/.cache",
        f"{PREFIX}-o-2ebrien-projects": "/home/jovyan/data/projects",
    }


def test_a_roster_import_does_not_starve_the_engine(hub, obrien):
    """120 bcrypt hashes of an import (long enough to overlap three listings) and the
    engine's calls run on pools of their own."""
    roster = "\n".join(f"rush{i:03d},crowd" for i in range(120))
    assert hub.api("POST", "/groups/crowd").status_code == 201
    answers = []

    def run_import() -> None:
        answers.append(
            requests.post(
                f"{hub.url}/hub/api/labfleet/users/import",
                json={"roster": roster},
                headers={"Authorization": f"token {hub.token}"},
                timeout=900,
            )
        )

    importer = threading.Thread(target=run_import)
    importer.start()
    listings = []
    while importer.is_alive() and len(listings) < 3:
        time.sleep(2)
        listings.append(panel(hub, "GET", obrien, "volumes"))
    still_importing = importer.is_alive()
    importer.join()
    assert still_importing, "the import ended before the listings: they did not overlap"
    assert [r.status_code for r in listings] == [200, 200, 200], listings[-1].text
    assert answers[0].status_code == 200 and len(answers[0].json()["created"]) == 120


def test_restart_in_place_keeps_the_container_and_files(hub, engine, obrien):
    before = engine.containers.get(CONTAINER).attrs
    response = panel(hub, "POST", obrien, "restart")
    assert response.status_code == 200, response.text
    after = engine.containers.get(CONTAINER).attrs
    assert after["Id"] == before["Id"]
    assert after["State"]["StartedAt"] != before["State"]["StartedAt"]
    for volume, path in FILES.items():
        assert get_file(hub, obrien, path).json()["content"] == f"in {volume}"


def test_logs_show_what_the_server_printed(hub, obrien):
    lines = panel(hub, "GET", obrien, "logs", params={"tail": 400}).json()["lines"]
    assert any("Jupyter Server" in line and "is running at" in line for line in lines)
    assert len(panel(hub, "GET", obrien, "logs", params={"tail": 3}).json()["lines"]) == 3


def test_a_broadcast_reaches_the_container_through_the_proxy(hub, obrien):
    """The lab image has the extension and labfleet's ticket check; o.brien's escaped URL."""
    sent = labfleet_api(
        hub, "POST", "/notifications", json={"message": "To the container", "type": "success"}
    )
    assert sent.status_code == 200, sent.text
    assert [(r["username"], r["delivered"]) for r in sent.json()["results"]] == [(obrien, True)]
    shown = requests.get(
        f"{hub.url}/user/{obrien}/jupyterlab-notifications-extension/notifications",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    ).json()["notifications"]
    assert [n["type"] for n in shown if n["message"] == "To the container"] == ["success"]


def test_saves_in_the_container_reach_the_hub_and_material_reaches_the_container(hub, obrien):
    """The lab image's extension sends save events and takes hand-outs, as on the local backend."""
    from notebooks import FIRST, b64, read, save, wait_for_saves

    assert save(hub, obrien, "saved.ipynb", FIRST).status_code in (200, 201)
    (event,) = wait_for_saves(hub, obrien, "saved.ipynb", 1)
    assert event["has_content"] and event["error"].startswith("NameError")
    handed = labfleet_api(hub, "POST", "/workshop/material", json={
        "folder": "handout", "recipients": {"users": [obrien]},
        "files": [{"path": "task.py", "content": b64("print('hi')\n")}]})  # fmt: skip
    assert handed.status_code == 200, handed.text
    (result,) = handed.json()["results"]
    assert result["status"] == "delivered", result
    assert read(hub, obrien, "handout/task.py") == "print('hi')\n"


def test_the_activity_dashboard_shows_the_containers_live_use(hub, obrien):
    def measured():
        answer = labfleet_api(hub, "GET", "/activity", params={"search": "brien"}).json()
        (row,) = answer["users"]
        return row if row["cpu_percent"] is not None else None

    row = wait_for(measured, 60, "two measurements of the container")
    assert row["state"] in ("active", "idle") and row["memory_bytes"] > 10_000_000
    assert row["volume_bytes"] and row["volume_bytes"] >= sum(len(f"in {v}") for v in FILES)


def test_the_backend_refuses_to_reset_a_running_server(engine, obrien):
    with pytest.raises(BackendError) as error:
        asyncio.run(backend().reset_volumes(obrien, ["home"]))
    assert error.value.status_code == 409
    assert "stop it before resetting volumes" in error.value.message
    assert engine.volumes.get(f"{PREFIX}-o-2ebrien-home")


def test_a_kept_container_starts_again_after_a_hub_restart(hub, engine, obrien):
    kept = container_id(engine)
    hub.restart()
    hub.spawn(obrien)
    assert container_id(engine) == kept
    assert get_file(hub, obrien, FILES["home"]).json()["content"] == "in home"


def test_reset_home_keeps_the_other_volumes(hub, engine, obrien):
    hub.stop_server(obrien)
    response = panel(hub, "DELETE", obrien, "volumes", json={"volumes": ["home"]})
    assert response.status_code == 200, response.text
    # the stopped container held the volumes: it is gone, and made anew at the next start
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(CONTAINER)
    listed = {v["name"]: v for v in panel(hub, "GET", obrien, "volumes").json()["volumes"]}
    assert {name: v["exists"] for name, v in listed.items()} == {
        "home": False, "workspace": True, "cache": True, "projects": True
    }  # fmt: skip
    assert listed["home"]["size_bytes"] is None
    hub.spawn(obrien)
    assert get_file(hub, obrien, FILES["home"]).status_code == 404
    for volume in ("workspace", "cache", "projects"):
        assert get_file(hub, obrien, FILES[volume]).json()["content"] == f"in {volume}"
    # the new home is the user's again
    put_file(hub, obrien, FILES["home"], "new home")


def test_logs_explain_a_failed_start(hub, obrien):
    """A server that exits at start leaves its container, and what it printed, behind."""
    folder = requests.put(
        f"{hub.url}/user/{obrien}/api/contents/.jupyter",
        json={"type": "directory"},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert folder.status_code == 201, folder.text
    broken = 'print("labfleet-test: broken config", flush=True)\nraise SystemExit(3)\n'
    put_file(hub, obrien, ".jupyter/jupyter_server_config.py", broken)
    hub.stop_server(obrien)
    hub.api("POST", f"/users/{obrien}/server")  # fails, at once or after a 202
    wait_for(lambda: not hub.user(obrien)["servers"], SPAWN_TIMEOUT, "the start to fail")
    lines = panel(hub, "GET", obrien, "logs", params={"tail": 50}).json()["lines"]
    assert "labfleet-test: broken config" in lines


def test_renaming_a_user_with_volumes_is_refused_naming_the_backend(hub, obrien):
    if hub.user(obrien)["servers"]:
        hub.stop_server(obrien)
    refused = hub.api("PATCH", f"/users/{obrien}", json={"name": "obrien2"})
    assert refused.status_code == 409, refused.text
    assert "the docker backend cannot rename" in refused.json()["message"]
    assert hub.user(obrien)["name"] == obrien
    # a user who never started a server has no volumes and can be renamed
    hub.create_user("fresh")
    renamed = hub.api("PATCH", "/users/fresh", json={"name": "fresher"})
    assert renamed.status_code == 200, renamed.text
    assert hub.user("fresher")["name"] == "fresher"


def test_the_hub_warns_of_an_environments_missing_image(hub):
    warnings = [line for line in hub.start_output if "labfleet-missing:1" in line]
    assert warnings and "labfleet images pull" in warnings[0]


@pytest.mark.slow
def test_images_pull_reports_each_image_with_progress_lines(engine, tmp_path):
    from labfleet.backends import images

    # a registry on a loopback port nobody listens on: refused at once
    unreachable = f"127.0.0.1:{free_port()}/labfleet-none:1"
    lines = []
    why = images.pull(engine, unreachable, lines.append)
    assert why and "refused" in why
    config = tmp_path / "labfleet.yaml"
    config.write_text(
        f"labfleet:\n  backend: docker\n  data_dir: {tmp_path / 'data'}\n"
        f"docker:\n  image: {unreachable}\n"
    )
    done = run_labfleet("images", "pull", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{unreachable}: not pulled" in done.stdout and "not on this engine" in done.stdout


def test_pull_progress_adds_up_the_layers():
    from labfleet.backends.images import Progress

    progress = Progress()
    for event in [
        {"status": "Pulling fs layer", "id": "a"},
        {"status": "Downloading", "id": "a", "progressDetail": {"current": 10e6, "total": 40e6}},
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 0, "total": 60e6}},
        {"status": "Download complete", "id": "a"},
    ]:
        progress.add(event)
    line = progress.line("lab:1")
    assert line.startswith("lab:1: [############") and "40%" in line and "40/100 MB" in line

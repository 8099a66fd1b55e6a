"""Disk limits (local backend): a student who fills their disk stops at their group's
disk_limit, and the others and the hub keep working.

The hub's data directory is a small ext4 file system of its own (a 300 MB image,
loop-mounted for this module), never the machine's disk. The students fill their disks from
real kernels of their real servers (harness.run_in_kernel), as a notebook would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest
import requests
from browser import log_in, needs_chromium
from harness import (
    get_file,
    labfleet_api,
    panel,
    put_file,
    run_in_kernel,
    running_hub,
    user_token,
    wait_for,
)

from labfleet.backends import disks
from labfleet.groups import check_properties, resolve
from labfleet.groups.properties import MIN_DISK_LIMIT, PropertiesError, Rules
from labfleet.objects import safe_name

MIB = 2**20
DATA_SIZE = 300 * MIB
LIMIT = 48 * MIB
RAISED = 64 * MIB
RESERVE = 40 * MIB
HUB_CONFIG = {
    "local": {"disk_reserve": RESERVE},
    "culling": {"enabled": False},
}
# fills the workspace volume, then tries the home: what failed, how, and bytes written
FILL = textwrap.dedent("""
    import errno, os
    written = 0
    chunk = b"x" * (1024 * 1024)
    try:
        with open(os.path.expanduser("~/workspace/fill.bin"), "wb") as f:
            while written < 1024 ** 3:
                f.write(chunk)
                f.flush()
                written += len(chunk)
            os.fsync(f.fileno())
    except OSError as e:
        print(errno.errorcode[e.errno], written)
    else:
        print("no-error", written)
    try:
        with open(os.path.expanduser("~/more.txt"), "wb") as f:
            f.write(chunk * 4)
            f.flush()
    except OSError as e:
        print(errno.errorcode[e.errno])
    else:
        print("no-error")
""")

root = pytest.mark.skipif(os.geteuid() != 0, reason="disks of their own need root")


# -- pure parts ---------------------------------------------------------------------------


RULES = Rules(
    protected=(), volume_mounts=(), read_only_mounts=False, backend="local",
    docker_socket_group="docker-sock",
)  # fmt: skip


def test_disk_limit_is_a_size_of_at_least_32m_and_the_winning_group_sets_it():
    assert check_properties("a", {"disk_limit": "5G"}, RULES) == {"disk_limit": "5G"}
    for bad in ("1M", "lots", True, -5, MIN_DISK_LIMIT - 1):
        with pytest.raises(PropertiesError, match="disk_limit .* at least 32M"):
            check_properties("a", {"disk_limit": bad}, RULES)
    groups = {"course": {"disk_limit": "5G"}, "tight": {"priority": 9, "disk_limit": "1G"}}
    grants = resolve(groups, docker_socket_group="d", privileged_group="p")
    assert grants.disk_limit == 2**30 and grants.sources["disk_limit"] == "tight"
    assert "disk_limit" in grants.granted()
    assert resolve({"x": {}}, docker_socket_group="d", privileged_group="p").disk_limit is None


def test_a_start_that_would_eat_into_the_reserve_is_refused_saying_why():
    assert disks.reserve_problem("ana", 5 * 2**30, 2**30, 2**30) is None
    problem = disks.reserve_problem("ana", 1500 * MIB, 1024 * MIB, 1024 * MIB)
    assert problem == (
        "Not enough disk space to start ana's server: 1.5 GiB is free on the hub's disk "
        "(their disk_limit takes 1.0 GiB of it), and the hub keeps 1.0 GiB for its database "
        "(local.disk_reserve). Free some space, or ask an admin."
    )
    assert "disk_limit" not in disks.reserve_problem("ana", 10 * MIB, 0, 1024 * MIB)


def test_commands_and_mount_table():
    image = Path("/v/.disks/ana.img")
    assert disks.image_bytes(LIMIT + 1) == LIMIT + MIB
    assert disks.make_command(image)[-3:] == ["-E", "nodiscard", str(image)]
    assert disks.mount_command(image, Path("/v/.disks/ana"))[3:5] == ["-o", "loop,nodev,nosuid"]
    info = (
        "36 25 0:32 / /srv/my\\040disk rw,relatime shared:1 master:3 - ext4 /dev/loop0 rw\n"
        "37 25 0:33 /home /v/home/ana rw,nosuid,nodev - ext4 /dev/loop1 rw\n"
    )
    assert disks.mount_table(info) == {
        "/srv/my disk": ("shared:1", "master:3"), "/v/home/ana": (),
    }  # fmt: skip
    assert disks.share_commands(Path("/v"), is_mount=False)[0] == ["mount", "--bind", "/v", "/v"]
    assert disks.unavailable(False) and "root" in disks.unavailable(False)
    assert "resize2fs" in disks.unavailable(True, which=lambda t: None if t == "resize2fs" else t)
    assert "loop" in disks.unavailable(True, which=lambda t: t, loop_control=Path("/nonexistent"))


# -- a hub whose data directory is a small file system --------------------------------------


def run(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, timeout=120, check=True)


def unmount_all(folder: Path) -> None:
    """Unmount ``folder`` and every mount below it, once the hub's last helper has let go."""
    wait_for(
        lambda: subprocess.run(["umount", "-R", str(folder)], capture_output=True).returncode == 0,
        30, f"{folder} to be unmounted", interval=1,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hub():
    """A hub whose data directory is a 300 MB ext4 file system of its own."""
    if os.geteuid() != 0:
        pytest.skip("disks of their own need root")
    holder = Path(tempfile.mkdtemp(prefix="labfleet-disks-image-", dir="/tmp"))
    image = holder / "data.img"
    with image.open("wb") as f:
        os.posix_fallocate(f.fileno(), 0, DATA_SIZE)
    run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "nodiscard", image)
    data_dirs: list[Path] = []

    def mount_data_dir(folder: Path) -> dict:
        data_dir = folder / "labfleet-data"  # the hub's data directory (harness.Hub)
        data_dir.mkdir()
        run("mount", "-o", "loop", image, data_dir)
        data_dir.chmod(0o711)
        data_dirs.append(data_dir)
        return {}

    try:
        with running_hub("disks", HUB_CONFIG, mount_data_dir) as instance:
            yield instance
    finally:
        for data_dir in data_dirs:  # with the users' disks mounted inside it
            unmount_all(data_dir)
            shutil.rmtree(data_dir.parent, ignore_errors=True)
        shutil.rmtree(holder)


def group(hub, name: str, users: list[str], **properties) -> None:
    """A group made through the API (so that its properties can change), ``users`` in it."""
    for user in users:
        if hub.api("GET", f"/users/{user}").status_code == 404:
            hub.create_user(user)
    if hub.api("GET", f"/groups/{name}").status_code == 404:
        assert hub.api("POST", f"/groups/{name}").status_code == 201
    hub.api("POST", f"/groups/{name}/users", json={"users": users}).raise_for_status()
    answer = labfleet_api(hub, "PUT", f"/groups/{name}", json=properties)
    assert answer.status_code == 200, answer.text
    assert answer.json()["not_applied"] == {}


def started(hub, name: str) -> str:
    """A user with a running server; their own API token."""
    if hub.api("GET", f"/users/{name}").status_code == 404:
        hub.create_user(name)
    hub.spawn(name)
    return user_token(hub, name)


def disk_of(hub, name: str) -> dict | None:
    answer = panel(hub, "GET", name, "volumes")
    assert answer.status_code == 200, answer.text
    return answer.json()["disk"]


def mount_options(path: Path) -> set[str]:
    """The options of the mount at ``path`` (root's view)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" ")
        if fields[4] == str(path):
            return set(fields[5].split(","))
    raise AssertionError(f"nothing is mounted at {path}")


def mounted_below(folder: Path) -> list[str]:
    return sorted(
        point
        for point in disks.mount_table(Path("/proc/self/mountinfo").read_text())
        if point.startswith(f"{folder}/")
    )


def save_notebook(hub, user: str, path: str) -> None:
    """Save a notebook through the user's server, as JupyterLab does, and read it back."""
    notebook = {
        "cells": [{"cell_type": "code", "source": "1 + 1", "metadata": {}, "outputs": [],
                   "execution_count": None}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    response = requests.put(
        f"{hub.url}/user/{user}/api/contents/{path}",
        json={"type": "notebook", "content": notebook},
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text
    assert get_file(hub, user, path).json()["content"]["cells"][0]["source"] == "1 + 1"


# -- the fault: a student fills their disk --------------------------------------------------


@root
def test_a_student_past_their_disk_limit_gets_enospc_and_everyone_else_keeps_working(hub):
    group(hub, "limited", ["filler", "o.brien"], disk_limit="48M")
    token = started(hub, "filler")
    disk = disk_of(hub, "filler")
    assert disk is not None and 0.8 * LIMIT < disk["limit_bytes"] <= LIMIT
    hub_free = shutil.disk_usage(hub.data_dir).free

    printed = run_in_kernel(hub, "filler", FILL, token, timeout=300).split()
    assert printed[0] in ("ENOSPC", "EDQUOT"), printed
    assert int(printed[1]) <= LIMIT
    # every volume of the student is on that disk: the home is full too
    assert printed[2] in ("ENOSPC", "EDQUOT"), printed
    # the kernel's write failed in the student's own file system: the hub's is untouched
    assert shutil.disk_usage(hub.data_dir).free >= hub_free - MIB
    full = disk_of(hub, "filler")
    assert full["used_bytes"] >= full["limit_bytes"] - 2 * MIB

    # another student's server starts and saves a notebook; the hub's database takes writes
    started(hub, "neighbour")
    save_notebook(hub, "neighbour", "after.ipynb")
    hub.create_user("latecomer")
    assert hub.user("latecomer")["name"] == "latecomer"
    # the student's own server still answers, and so does a limited user with a new disk
    status = requests.get(
        f"{hub.url}/user/filler/api/status", headers={"Authorization": f"token {token}"},
        timeout=30,
    )  # fmt: skip
    assert status.status_code == 200
    started(hub, "o.brien")
    put_file(hub, "o.brien", "notes.txt", "still room here")
    # use against the limit: the People page's list and the control panel's usage
    people = {p["name"]: p for p in labfleet_api(hub, "GET", "/users").json()["users"]}
    assert people["filler"]["disk"]["used_bytes"] >= full["limit_bytes"] - 2 * MIB
    assert people["neighbour"]["disk"] is None
    usage = panel(hub, "GET", "filler", "usage", token=token).json()
    assert usage["disk"]["limit_bytes"] == full["limit_bytes"]


@root
@needs_chromium
def test_the_people_page_and_the_control_panel_show_use_against_the_limit(hub, page):
    from playwright.sync_api import expect

    log_in(page, hub, next_url="/hub/labfleet/users")
    filler = page.locator("#lf-user-rows tr[data-name='filler'] .lf-disk")
    expect(filler).to_have_text(re.compile(r"Disk: [\d.]+ MiB of [\d.]+ MiB"))
    expect(filler).to_have_class(re.compile("text-danger"))  # full
    expect(page.locator("#lf-user-rows tr[data-name='neighbour'] .lf-disk")).to_have_count(0)
    page.goto(f"{hub.url}/hub/labfleet/users/filler/panel")
    expect(page.locator(".lf-usage-summary")).to_contain_text(re.compile(r"Disk: [\d.]+ MiB of"))
    assert page.errors == []


@root
def test_the_disk_is_the_students_alone_mounted_nodev_nosuid(hub):
    home = hub.home("filler")
    assert {"nodev", "nosuid"} <= mount_options(home)
    assert {"nodev", "nosuid"} <= mount_options(hub.data_dir / "volumes" / "workspace" / "filler")
    images = hub.data_dir / "volumes" / disks.FOLDER
    assert images.stat().st_mode & 0o777 == 0o700 and images.stat().st_uid == 0
    token = user_token(hub, "o.brien")
    tried = run_in_kernel(hub, "o.brien", textwrap.dedent(f"""
        import os
        for path in ({str(images)!r}, {str(home)!r}):
            try:
                os.listdir(path)
                print("read", path)
            except PermissionError:
                print("refused")
    """), token)  # fmt: skip
    assert tried.split() == ["refused", "refused"]


@root
def test_a_start_that_would_leave_the_hub_below_its_reserve_is_refused_saying_why(hub):
    group(hub, "huge", ["greedy"], disk_limit="280M")
    response = hub.api("POST", "/users/greedy/server")
    assert response.status_code == 507, response.text
    message = response.json()["message"]
    assert "Not enough disk space to start greedy's server" in message
    assert "local.disk_reserve" in message
    assert not (hub.data_dir / "volumes" / disks.FOLDER / "greedy.img").exists()
    assert not hub.user("greedy")["servers"]


@root
def test_a_raised_limit_grows_the_disk_at_the_next_start_and_keeps_the_files(hub):
    before = disk_of(hub, "filler")
    hub.stop_server("filler")
    group(hub, "limited", [], disk_limit="64M")
    token = started(hub, "filler")
    after = disk_of(hub, "filler")
    assert after["limit_bytes"] > before["limit_bytes"] + 12 * MIB
    assert after["limit_bytes"] <= RAISED
    size = run_in_kernel(hub, "filler", textwrap.dedent("""
        import os
        print(os.path.getsize(os.path.expanduser("~/workspace/fill.bin")))
        open("room.txt", "w").write("z" * 8 * 1024 * 1024)
    """), token)  # fmt: skip
    assert int(size) >= before["used_bytes"] - 2 * MIB
    image = hub.data_dir / "volumes" / disks.FOLDER / f"{safe_name('filler')}.img"
    assert image.stat().st_blocks * 512 >= RAISED  # allocated in full, not sparse


@root
def test_files_from_before_the_limit_move_onto_the_new_disk(hub):
    started(hub, "early")
    put_file(hub, "early", "thesis.txt", "chapter one")
    hub.stop_server("early")
    assert disk_of(hub, "early") is None
    group(hub, "limited", ["early"], disk_limit="48M")
    started(hub, "early")
    assert get_file(hub, "early", "thesis.txt").json()["content"] == "chapter one"
    assert disk_of(hub, "early")["used_bytes"] > 0


@root
def test_reset_rename_and_delete_take_the_disk_along(hub):
    hub.stop_server("early")
    volumes = hub.data_dir / "volumes"
    reset = panel(hub, "DELETE", "early", "volumes", json={"volumes": ["workspace"]})
    assert reset.status_code == 200, reset.text
    renamed = hub.api("PATCH", "/users/early", json={"name": "later"})
    assert renamed.status_code == 200, renamed.text
    assert not (volumes / disks.FOLDER / "early.img").exists()
    assert not mounted_below(volumes / disks.FOLDER / "early")
    group(hub, "limited", ["later"], disk_limit="48M")
    started(hub, "later")
    assert get_file(hub, "later", "thesis.txt").json()["content"] == "chapter one"
    assert disk_of(hub, "later") is not None
    hub.stop_server("later")
    deleted = labfleet_api(hub, "DELETE", "/users/later/account", json={"delete_volumes": True})
    assert deleted.status_code == 200, deleted.text
    assert not (volumes / disks.FOLDER / "later.img").exists()
    assert not [p for p in mounted_below(volumes) if p.endswith("/later")]

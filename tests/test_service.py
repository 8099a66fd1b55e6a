"""Running labfleet like a service: hub restarts that keep users working, one hub per data
directory, prompt stops however it was started."""

from __future__ import annotations

import shlex
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from harness import (
    LABFLEET,
    create_account,
    get_file,
    labfleet_api,
    panel,
    put_file,
    run_labfleet,
    running_hub,
    wait_for,
)

from labfleet.backends import processes

# labfleet's own default: servers keep running when the hub stops
HUB_CONFIG = {"hub": {"cleanup_servers": False}}
USERS = ("ann", "bo", "cy")


def test_a_hub_restart_keeps_every_server_working(hub):
    for name in USERS:
        hub.create_user(name)
        hub.spawn(name)
        put_file(hub, name, "before.txt", f"{name} was here")
    extended = panel(hub, "POST", "ann", "session/extend", json={"hours": 1})
    assert extended.status_code == 200, extended.text
    pids = {name: hub.spawner_pid(name) for name in USERS}

    hub.restart()

    for name in USERS:
        assert hub.user(name)["servers"][""]["ready"], name
        assert hub.spawner_pid(name) == pids[name]  # the same process, adopted
        assert get_file(hub, name, "before.txt").json()["content"] == f"{name} was here"
        assert panel(hub, "GET", name, "logs").json()["lines"]
    assert panel(hub, "GET", "ann", "session").json()["extended_hours"] == 1
    # restart in place and stop work on an adopted server as on a fresh one
    restarted = panel(hub, "POST", "bo", "restart")
    assert restarted.status_code == 200, restarted.text
    assert get_file(hub, "bo", "before.txt").json()["content"] == "bo was here"
    old = pids["cy"]
    hub.stop_server("cy")
    wait_for(lambda: processes.process_uid(old) is None, 15, "cy's server to end")


def test_a_stop_during_a_restart_is_refused_and_nothing_is_left_untracked(hub):
    hub.create_user("dee")
    hub.spawn("dee")
    restart = threading.Thread(target=panel, args=(hub, "POST", "dee", "restart"))
    restart.start()
    time.sleep(0.3)  # the restart is under way: its server stopping or starting again
    stop = hub.api("DELETE", "/users/dee/server")
    assert restart.is_alive(), "the restart ended before the stop was tried"
    restart.join()
    assert stop.status_code == 409 and "being restarted" in stop.json()["message"], stop.text
    assert hub.user("dee")["servers"][""]["ready"]
    # exactly one server process runs for dee, the one the hub knows
    pid = hub.spawner_pid("dee")
    uid = processes.process_uid(pid)
    servers = [p for p in processes.pids_of_uid(uid) if "singleuser" in cmdline(p)]
    assert servers == [pid]
    hub.stop_server("dee")


def cmdline(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_second_hub_on_the_same_data_directory_touches_nothing(hub):
    hub.create_user("eve")
    hub.spawn("eve")
    second = subprocess.run(
        [LABFLEET, "up", "--config", str(hub.config_path)],
        cwd=hub.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert f"labfleet is already running here (pid {hub.proc.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    # the running hub, its proxy and its servers went on as they were
    assert hub.api("GET", "/users/eve").status_code == 200
    status = requests.get(
        f"{hub.url}/user/eve/api/status",
        headers={"Authorization": f"token {hub.token}"},
        timeout=30,
    )
    assert status.status_code == 200
    doctor = run_labfleet("doctor", "--config", str(hub.config_path), cwd=hub.root)
    assert f"labfleet is running here (pid {hub.proc.pid})" in doctor.stdout
    assert "is not free" not in doctor.stdout
    hub.stop_server("eve")


@pytest.mark.slow
def test_the_hub_stops_promptly_when_started_with_sigint_ignored():
    """From a script or in the background SIGINT is ignored, and so by what the hub starts:
    the culler used to wait out the hub's timeouts (30 s and more)."""
    with running_hub("sigint") as hub:
        hub.stop()
        hub.start(ignore_sigint=True)
        culler = wait_for(
            lambda: [p for p in processes.pids_of_uid(0) if "labfleet.culler" in cmdline(p)
                     and f"--hub-pid={hub.proc.pid}" in cmdline(p)],
            30, "the culler",
        )  # fmt: skip
        proxy = int((hub.data_dir / "proxy" / "caddy.pid").read_text())
        hub.proc.send_signal(signal.SIGINT)
        hub.proc.wait(timeout=20)
        wait_for(lambda: processes.process_uid(culler[0]) is None, 10, "the culler to end")
        # the proxy keeps serving (labfleet stop ends it), and the hub said so
        assert processes.process_uid(proxy) == 0
        assert "the hub stopped; the proxy keeps running" in hub.tail(5)
        assert "labfleet stop --servers --config" in hub.tail(5)


def test_users_work_survives_even_the_hubs_crash(hub):
    """A hub killed outright leaves the servers running; the next start adopts them."""
    hub.create_user("fay")
    hub.spawn("fay")
    put_file(hub, "fay", "kept.txt", "still here")
    pid = hub.spawner_pid("fay")
    hub.proc.send_signal(signal.SIGKILL)
    hub.proc.wait()
    hub.start()
    assert hub.spawner_pid("fay") == pid
    assert get_file(hub, "fay", "kept.txt").json()["content"] == "still here"
    assert labfleet_api(hub, "GET", "/users/fay/usage").json()["running"] is True
    hub.stop_server("fay")


def test_a_backup_made_while_the_hub_runs_restores_into_a_fresh_data_directory(hub):
    password = create_account(hub, "gil", [])
    destination = hub.root / "backup"
    made = run_labfleet("backup", str(destination), "--config", str(hub.config_path), cwd=hub.root)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(destination.stat().st_mode) == 0o700
    assert "users' volumes" in (destination / "RESTORE.txt").read_text()
    for secret in ("cookie_secret",):  # the notification tickets' secret derives from it
        kept = destination / "hub" / secret
        assert kept.read_bytes() == (hub.data_dir / "hub" / secret).read_bytes()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = run_labfleet("backup", str(destination), "--config", str(hub.config_path), cwd=hub.root)
    assert again.returncode == 1 and "is not empty" in again.stderr

    def restore(root):
        # as docs/backup.md says: the backup's hub/ and accounts/ into a new data directory
        data = root / "labfleet-data"
        data.mkdir(mode=0o711)
        shutil.copytree(destination / "hub", data / "hub")
        if (destination / "accounts").exists():  # once a server has run
            shutil.copytree(destination / "accounts", data / "accounts")
        return {}

    with running_hub("restored", prepare=restore) as restored:
        assert restored.admin_password is None  # the admin came back: no new one
        assert restored.login("admin", hub.first_admin_password)[1].status_code == 302
        assert restored.login("gil", password)[1].status_code == 302


def service_units(hub) -> dict[str, str]:
    """The units `labfleet service install --print` writes, by file name."""
    printed = run_labfleet(
        "service", "install", "--print", "--config", str(hub.config_path), cwd=hub.root
    )
    assert printed.returncode == 0, printed.stderr
    blocks = printed.stdout.split("# /etc/systemd/system/")[1:]
    return dict(block.split("\n", 1) for block in blocks)


def test_the_service_units_are_valid_and_keep_servers_across_restarts(hub, tmp_path):
    units = service_units(hub)
    assert set(units) == {"labfleet.service", "labfleet-proxy.service"}
    hub_unit = units["labfleet.service"]
    assert hub_unit.count(f"up --config {hub.config_path}\n") == 1
    assert "KillMode=process" in hub_unit and "Delegate=yes" in hub_unit
    assert "Restart=on-failure" in hub_unit
    assert "Wants=network-online.target labfleet-proxy.service" in hub_unit
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    for name, text in units.items():
        (tmp_path / name).write_text(text)
    verified = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in units)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr


def test_without_systemd_the_install_says_how_to_start_the_hub(hub):
    if Path("/run/systemd/system").is_dir():
        pytest.skip("this host runs systemd")
    refused = run_labfleet("service", "install", "--config", str(hub.config_path), cwd=hub.root)
    assert refused.returncode == 1
    assert "does not run systemd" in refused.stderr and "labfleet up --config" in refused.stderr


@pytest.mark.slow
def test_a_proxy_started_apart_keeps_every_route_while_the_hub_restarts():
    """As labfleet-proxy.service does: Caddy runs apart, the hub adopts it and comes and goes,
    the public port and the users' servers stay reachable."""
    with running_hub("external-proxy", {"hub": {"cleanup_servers": False}}) as hub:
        hub.stop()
        hub.stop_proxy()
        units = service_units(hub)
        lines = units["labfleet-proxy.service"].splitlines()
        command = shlex.split(
            next(line for line in lines if line.startswith("ExecStart=")).removeprefix("ExecStart=")
        )
        environment = dict(
            item.split("=", 1)
            for item in next(line for line in lines if line.startswith("Environment="))
            .removeprefix("Environment=").split()
        )  # fmt: skip
        proxy = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            hub.start()
            assert "Adopting the running proxy (Caddy, pid" in hub.tail(200)
            hub.create_user("gus")
            hub.spawn("gus")
            hub.stop()
            # the hub is gone; the proxy, its routes and gus's server are not (the server's
            # own /api answers without asking the hub)
            answer = requests.get(f"{hub.url}/user/gus/api", timeout=30)
            assert answer.status_code == 200 and "version" in answer.json(), answer.text
            hub.start()
            assert hub.user("gus")["servers"][""]["ready"]
            assert proxy.poll() is None  # the same proxy all along
            hub.stop_server("gus")
        finally:
            proxy.terminate()
            proxy.wait()

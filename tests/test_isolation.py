"""What a student can try from inside their own server, and what now stops it (local backend).

Every attack is code run in a real kernel of a real user's server, through the Jupyter API
as a notebook runs it (harness.run_in_kernel), on a hub that isolates its users (root).
docs/security.md lists each attack and the test here that performs it.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from harness import (
    KernelDied,
    labfleet_api,
    run_in_kernel,
    running_hub,
    user_token,
    wait_for,
)

from labfleet.backends import cgroups, processes
from labfleet.objects import system_account_name

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs root")

MEMORY_LIMIT = 256 * 1024 * 1024
MAX_PROCESSES = 120
CONNECTIONS_PER_ACCOUNT = 100
# a folder outside every home, that root may write and students may not
OUTSIDE = Path(f"/tmp/labfleet-outside-{secrets.token_hex(4)}")
DELIMITED = ["a=b", "a&b", "a;b"]
HUB_CONFIG = {
    "labfleet": {
        "volumes": {
            "home": {"label": "Home"},
            "scratch": {"label": "Scratch", "mount": "work/scratch"},
        }
    },
    "local": {"max_processes": MAX_PROCESSES},
    "hub": {
        "load_groups": {
            "limited": {"users": ["hog"]},
            "sharing": {"users": ["planter", "opener", "passing"]},
            "course": {"users": ["reader", "maintainer"]},
            "course-staff": {"users": ["maintainer"]},
            # names no new user may take any more, made by the configuration (as before)
            "delimiters": {"users": DELIMITED},
        }
    },
    "groups": {"properties": {"limited": {"mem_limit": MEMORY_LIMIT, "cpu_limit": 0.5}}},
    "culling": {"enabled": False},
    "proxy": {"connections_per_account": CONNECTIONS_PER_ACCOUNT},
}


def HUB_FILES(root: Path) -> dict:
    """A class's shared folder that every account may write (an admin's choice), mounted
    for the group ``sharing`` at ~/shared; a course folder, read-only for the group
    ``course`` and read-write for ``course-staff`` (whose members are in both)."""
    shared = root / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    course = root / "course"
    course.mkdir()
    course.chmod(0o777)  # the file system would let anyone write: the mount must not
    (course / "week1.md").write_text("Week 1\n")
    properties = HUB_CONFIG["groups"]["properties"]
    mount = {"host": str(shared), "path": "shared", "mode": "rw"}
    read_only = {"host": str(course), "path": "course", "mode": "ro"}
    read_write = {"host": str(course), "path": "course", "mode": "rw"}
    return {
        "groups": {
            "properties": {
                **properties,
                "sharing": {"mounts": [mount]},
                "course": {"mounts": [read_only]},
                "course-staff": {"mounts": [read_write], "priority": 10},
            }
        }
    }


def account(hub, name: str) -> pwd.struct_passwd:
    return pwd.getpwnam(system_account_name(hub.account_prefix, name))


def processes_of(hub, name: str) -> list[int]:
    return processes.pids_of_uid(account(hub, name).pw_uid)


def started(hub, name: str) -> str:
    """A user with a running server; their own API token."""
    if hub.api("GET", f"/users/{quote(name, safe='')}").status_code == 404:
        hub.create_user(name)
    hub.spawn(name)
    return user_token(hub, name)


def tcp_listeners_of(uid: int) -> list[str]:
    """The TCP sockets that processes of ``uid`` listen on (/proc/net/tcp and tcp6)."""
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[7]) == uid:  # 0A: LISTEN
                found.append(fields[1])
    return found


def server_socket_folder(hub, name: str) -> str:
    """The folder of the socket ``name``'s server listens on, as the hub keeps its address."""
    from urllib.parse import unquote

    ((address,),) = hub.query(
        "select servers.ip from servers join spawners on spawners.server_id = servers.id"
        " join users on users.id = spawners.user_id where users.name = ?",
        name,
    )
    return unquote(address).rsplit("/", 1)[0]


# a process that a student detaches from their kernel: it outlives the kernel, and it
# would outlive the server without a control group around it
DETACHED = """
import subprocess
detached = subprocess.Popen(["setsid", "sleep", "1001"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(detached.pid)
"""


def alive(pid: int) -> bool:
    return processes.process_uid(pid) is not None


# -- what always held: files and processes of others ----------------------------------------


def test_a_kernel_cannot_read_or_signal_another_users_server(hub):
    started(hub, "owner")
    token = started(hub, "prober")
    owner_home = hub.home("owner")
    owner_pid = hub.spawner_pid("owner")
    probe = textwrap.dedent(f"""
        import os, signal
        for attempt in (lambda: os.listdir("{owner_home}"),
                        lambda: os.kill({owner_pid}, signal.SIGTERM)):
            try:
                attempt()
                print("allowed")
            except PermissionError:
                print("refused")
    """)
    assert run_in_kernel(hub, "prober", probe, token).split() == ["refused", "refused"]
    assert processes.process_uid(owner_pid) == account(hub, "owner").pw_uid  # still running


# -- 1. processes outlive their server -----------------------------------------------------


def test_what_a_kernel_starts_ends_with_the_server(hub):
    token = started(hub, "lingerer")
    detached = int(run_in_kernel(hub, "lingerer", DETACHED, token))
    assert alive(detached)  # it outlived the kernel that started it
    hub.stop_server("lingerer")
    wait_for(lambda: not alive(detached), 15, "the detached process to end")
    assert processes_of(hub, "lingerer") == []


def test_a_users_process_never_takes_the_hubs_port_across_a_hub_restart(hub):
    token = started(hub, "squatter")
    # it waits for the hub to go, then tries to listen on its public port, IPv4 and IPv6
    # (a browser's localhost tries both), to serve a fake login page
    record = Path(account(hub, "squatter").pw_dir) / "squatted.txt"
    squat = textwrap.dedent(f"""
        import subprocess, sys
        script = '''
        import socket, time
        deadline = time.time() + 30
        while time.time() < deadline:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                s = socket.socket(family)
                try:
                    s.bind((host, {hub.port})); s.listen()
                    open("{record}", "a").write(host + "\\\\n")
                except OSError:
                    s.close()
            time.sleep(0.02)
        '''
        subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    """)
    run_in_kernel(hub, "squatter", squat, token)
    hub.stop()
    # the proxy outlives the hub: both families of the public port stay its own
    time.sleep(1)
    for address in ("127.0.0.1", "::1"):
        found = processes.listener(hub.port, address)
        assert found is not None and found.uid == 0, address
    hub.start()
    assert not record.exists(), record.read_text()
    # with the proxy stopped too, a process of another account that holds the port stops
    # the next start, named with its account
    hub.stop_server("squatter")
    hub.stop()
    hub.stop_proxy()
    uid = account(hub, "squatter").pw_uid
    holder = subprocess.Popen(
        ["python3", "-c", f"import socket,time; s=socket.socket(socket.AF_INET6); "
         f"s.bind(('::1', {hub.port})); s.listen(); time.sleep(120)"],
        user=uid,
    )  # fmt: skip
    try:
        wait_for(lambda: processes.listener(hub.port, "::1"), 10, "the foreign listener")
        with pytest.raises(RuntimeError, match=rf"held by process {holder.pid} of the account"):
            hub.start()
        assert account(hub, "squatter").pw_name in hub.tail()
    finally:
        holder.kill()
        holder.wait()
    hub.start()


# -- 2. limits that hold ---------------------------------------------------------------------


def test_a_kernel_past_its_memory_limit_is_killed_and_everyone_else_keeps_working(hub):
    token = started(hub, "hog")
    neighbour = started(hub, "neighbour")
    usage = labfleet_api(hub, "GET", "/users/hog/usage").json()
    assert usage["running"] and usage["memory_limit_bytes"] == MEMORY_LIMIT
    assert 0 < usage["memory_bytes"] < MEMORY_LIMIT
    # the group's half CPU is the server's quota, not only a variable it is shown
    containment = cgroups.detect()
    if isinstance(containment, cgroups.CgroupV1):
        quota = containment.folders(account(hub, "hog").pw_name)["cpu"] / "cpu.cfs_quota_us"
        assert quota.read_text().strip() == "50000"
    with pytest.raises(KernelDied):
        run_in_kernel(hub, "hog", "x = bytearray(1024 * 1024 * 1024)\nprint('allocated')", token)
    # the hub, the proxy, the neighbour's server and hog's own server still answer
    assert hub.api("GET", "/users/hog").status_code == 200
    for user, key in (("neighbour", neighbour), ("hog", token)):
        status = requests.get(
            f"{hub.url}/user/{user}/api/status",
            headers={"Authorization": f"token {key}"},
            timeout=30,
        )
        assert status.status_code == 200, status.text


def test_a_fork_bomb_stops_at_the_process_limit(hub):
    token = started(hub, "forker")
    bomb = textwrap.dedent("""
        import os, signal, time
        children = []
        try:
            for _ in range(1000):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
        except OSError as e:
            print("refused", type(e).__name__, len(children))
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    """)
    printed = run_in_kernel(hub, "forker", bomb, token)
    verdict, error, count = printed.split()
    assert verdict == "refused" and error == "BlockingIOError"
    assert int(count) < MAX_PROCESSES
    assert (
        labfleet_api(hub, "GET", "/users/forker/usage").json()["processes_limit"] == MAX_PROCESSES
    )


# -- 3. a server's address is its account's alone ------------------------------------------


def test_no_other_account_can_answer_in_a_servers_place(hub):
    victim = started(hub, "victim")
    mallory = started(hub, "mallory")
    folder = server_socket_folder(hub, "victim")
    # while the victim's server restarts in place, mallory tries to listen at its address,
    # connect to it, or leave a socket of her own in its folder
    record = Path(account(hub, "mallory").pw_dir) / "attempts.txt"
    impostor = textwrap.dedent(f"""
        import subprocess, sys
        script = '''
        import os, socket, time
        deadline = time.time() + 20
        seen = set()
        while time.time() < deadline:
            for what, attempt in (
                ("bind", lambda s: s.bind("{folder}/server.sock")),
                ("connect", lambda s: s.connect("{folder}/server.sock")),
                ("plant", lambda s: s.bind("{folder}/other.sock")),
            ):
                s = socket.socket(socket.AF_UNIX)
                try:
                    attempt(s)
                    seen.add(what + " allowed")
                except OSError as e:
                    seen.add(what + " " + type(e).__name__)
                s.close()
            time.sleep(0.01)
        open("{record}", "w").write(" ".join(sorted(seen)))
        '''
        subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    """)
    run_in_kernel(hub, "mallory", impostor, mallory)
    restart = labfleet_api(hub, "POST", "/users/victim/restart", token=victim)
    assert restart.status_code == 200, restart.text
    status = requests.get(
        f"{hub.url}/user/victim/api/status",
        headers={"Authorization": f"token {victim}"},
        timeout=30,
    )
    assert status.status_code == 200 and "started" in status.json()
    attempts = wait_for(lambda: record.exists() and record.read_text(), 40, "mallory's attempts")
    assert "allowed" not in attempts, attempts
    assert "bind PermissionError" in attempts and "connect PermissionError" in attempts
    # neither account listens on any TCP port: there is nothing to take over
    for name in ("victim", "mallory"):
        assert tcp_listeners_of(account(hub, name).pw_uid) == [], name
    hub.stop_server("mallory")


def test_a_flood_of_idle_connections_leaves_everyone_else_answered(hub):
    flooder = started(hub, "flooder")
    calm = started(hub, "calm")
    record = Path(account(hub, "flooder").pw_dir) / "flood.txt"
    # 2000 connections to the public port, held open without a byte sent, for 20 s at most
    flood = textwrap.dedent(f"""
        import subprocess, sys
        script = '''
        import socket, time
        held, refused = [], 0
        for _ in range(2000):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", {hub.port}))
                held.append(s)
            except OSError:
                refused += 1
                s.close()
        open("{record}", "w").write(f"{{len(held)}} {{refused}}")
        time.sleep(20)
        '''
        subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    """)
    run_in_kernel(hub, "flooder", flood, flooder)
    held, refused = map(int, wait_for(lambda: record.exists() and record.read_text(), 60,
                                      "the flood").split())  # fmt: skip
    # one account holds at most its share; the hub's pages and another user's server answer
    assert held <= CONNECTIONS_PER_ACCOUNT and refused >= 2000 - CONNECTIONS_PER_ACCOUNT
    assert requests.get(f"{hub.url}/hub/login", timeout=5).status_code == 200
    answer = requests.get(
        f"{hub.url}/user/calm/api/status", headers={"Authorization": f"token {calm}"}, timeout=5
    )
    assert answer.status_code == 200
    hub.stop_server("flooder")


# -- 5. volume links never follow a user's links ---------------------------------------------


def test_nested_volume_links_never_follow_a_users_own_link(hub):
    OUTSIDE.mkdir(mode=0o755)
    (OUTSIDE / "scratch").symlink_to("/nonexistent-original")
    try:
        token = started(hub, "linker")
        # the student replaces ~/work, where the scratch volume is linked, by a link
        run_in_kernel(
            hub,
            "linker",
            f"import os\nos.rename('work', 'work-moved')\nos.symlink('{OUTSIDE}', 'work')",
            token,
        )
        hub.stop_server("linker")
        hub.spawn("linker")
        # root made and removed nothing there: the link found outside is the one left there
        assert sorted(p.name for p in OUTSIDE.iterdir()) == ["scratch"]
        assert os.readlink(OUTSIDE / "scratch") == "/nonexistent-original"
        assert any("Not linking volume scratch of linker" in line for line in hub.output)
        hub.stop_server("linker")
    finally:
        shutil.rmtree(OUTSIDE, ignore_errors=True)


# -- 6. names that broke routing -------------------------------------------------------------


@pytest.mark.parametrize("name", DELIMITED)
def test_names_with_delimiters_reach_their_servers(hub, name):
    token = started(hub, name)
    server = hub.user(name)["server"]
    status = requests.get(
        f"{hub.url}{server}api/status", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert status.status_code == 200 and "started" in status.json(), status.text
    hub.stop_server(name)


def test_quotes_are_refused_in_names(hub):
    assert hub.api("POST", "/users/a'b").status_code == 400
    answer = labfleet_api(hub, "POST", "/users", json={"usernames": ["o'brien", 'say"no']})
    reasons = {r["username"]: r["reason"] for r in answer.json()["rejected"]}
    assert set(reasons) == {"o'brien", 'say"no'}
    assert all("none of" in reason and "'" in reason for reason in reasons.values())


# -- 7. what one account leaves for another ------------------------------------------------

PLANTED = """
import os
for name in ("ipykernel_launcher.py", "ipykernel.py", "sitecustomize.py", "IPython.py"):
    with open(os.path.expanduser(f"~/shared/{name}"), "w") as f:
        f.write("import os; open(os.path.expanduser(f'~/shared/ran-as-{os.getuid()}'), 'w')\\n")
print("planted")
"""


def test_a_kernel_never_imports_what_another_account_planted_in_its_folder(hub):
    planter = started(hub, "planter")
    opener = started(hub, "opener")
    assert run_in_kernel(hub, "planter", PLANTED, planter).strip() == "planted"
    shared = hub.root / "shared"
    # the opener's notebook in the shared folder: its kernel runs there, as do its terminals
    found = run_in_kernel(
        hub, "opener",
        "import os, sys, ipykernel_launcher\n"
        "print(os.getcwd(), ipykernel_launcher.__file__, sys.flags.safe_path)",
        opener, notebook="shared/work.ipynb",
    )  # fmt: skip
    cwd, imported, safe = found.split()
    assert cwd.endswith("/shared") and safe == "True"
    assert not imported.startswith(str(shared)) and "/shared/" not in imported
    assert not [p.name for p in shared.iterdir() if p.name.startswith("ran-as-")]


def test_tmp_and_shm_are_a_servers_own_and_end_with_it(hub):
    owner = started(hub, "hoarder")
    other = started(hub, "peeker")
    marker = f"labfleet-secret-{secrets.token_hex(4)}"
    write = f"""
import os
for folder in ("/tmp", "/var/tmp"):
    with open(f"{{folder}}/{marker}", "w") as f:
        f.write("secret")
    os.chmod(f"{{folder}}/{marker}", 0o644)
with open("/dev/shm/{marker}", "wb") as f:
    f.write(b"x" * 120 * 1024 * 1024)
print(sorted(os.listdir("/dev/shm")))
"""
    assert marker in run_in_kernel(hub, "hoarder", write, owner)
    # charged to the owner's server, where its memory limit holds
    assert labfleet_api(hub, "GET", "/users/hoarder/usage").json()["memory_bytes"] > 120 << 20
    look = f"""
import os
print([os.path.exists(f"{{d}}/{marker}") for d in ("/tmp", "/var/tmp", "/dev/shm")])
"""
    assert run_in_kernel(hub, "peeker", look, other).strip() == "[False, False, False]"
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not Path(folder, marker).exists()  # nothing reached the host's folders
    hub.stop_server("hoarder")
    owner = started(hub, "hoarder")
    assert run_in_kernel(hub, "hoarder", look, owner).strip() == "[False, False, False]"


COURSE_WRITE = """
import os
try:
    with open(os.path.expanduser("~/course/{name}"), "w") as f:
        f.write("mine")
    print("written")
except OSError as e:
    print(e.errno)
"""


def test_a_read_only_course_folder_is_read_only_for_students_and_not_for_staff(hub):
    import errno

    reader = started(hub, "reader")
    maintainer = started(hub, "maintainer")
    read = "import os\nprint(open(os.path.expanduser('~/course/week1.md')).read().strip())"
    assert run_in_kernel(hub, "reader", read, reader).strip() == "Week 1"
    for attempt in ("answers.md", "week1.md"):
        printed = run_in_kernel(hub, "reader", COURSE_WRITE.format(name=attempt), reader)
        assert printed.strip() == str(errno.EROFS)
    remount = "import subprocess\nprint(subprocess.run(['mount', '-o', 'remount,rw', "
    remount += "__import__('os').path.expanduser('~/course')]).returncode)"
    assert run_in_kernel(hub, "reader", remount, reader).strip() != "0"
    # the staff write, through their own link, and students see it at once
    printed = run_in_kernel(hub, "maintainer", COURSE_WRITE.format(name="week2.md"), maintainer)
    assert printed.strip() == "written"
    week2 = "import os\nprint(open(os.path.expanduser('~/course/week2.md')).read())"
    assert run_in_kernel(hub, "reader", week2, reader).strip() == "mine"
    assert not (hub.root / "course" / "answers.md").exists()


def test_a_deleted_users_files_and_uid_go_with_them(hub):
    token = started(hub, "passing")
    uid = account(hub, "passing").pw_uid
    shared = hub.root / "shared"
    (shared / "from-the-admin.txt").write_text("stays")
    leave = """
import os
os.makedirs(os.path.expanduser("~/shared/passing/deep"))
for path in ("~/shared/passing/deep/notes", "~/shared/passing-secret"):
    with open(os.path.expanduser(path), "w") as f:
        f.write("mine")
    os.chmod(os.path.expanduser(path), 0o600)
print("left")
"""
    assert run_in_kernel(hub, "passing", leave, token).strip() == "left"
    deleted = labfleet_api(hub, "DELETE", "/users/passing/account", json={"delete_volumes": True})
    assert deleted.status_code == 200, deleted.text
    left = [p for p in shared.rglob("*") if p.lstat().st_uid == uid]
    assert left == [] and (shared / "from-the-admin.txt").read_text() == "stays"
    for name in ("passing", "successor"):
        hub.create_user(name)
        hub.spawn(name)
        assert account(hub, name).pw_uid > uid
        hub.stop_server(name)


# -- 8. accounts that outlive their users ----------------------------------------------------


def test_deleting_a_user_ends_their_processes_then_removes_account_log_and_records(hub):
    token = started(hub, "leaver")
    detached = int(run_in_kernel(hub, "leaver", DETACHED, token))
    uid = account(hub, "leaver").pw_uid
    log = hub.data_dir / "logs" / "leaver.log"
    assert log.exists()
    deleted = labfleet_api(hub, "DELETE", "/users/leaver/account", json={"delete_volumes": True})
    assert deleted.status_code == 200, deleted.text
    assert not alive(detached) and processes.pids_of_uid(uid) == []
    with pytest.raises(KeyError):
        account(hub, "leaver")
    assert not log.exists() and not (hub.data_dir / "mounts" / "leaver.json").exists()
    # the next user of that name starts afresh: no old log, a new account
    hub.create_user("leaver")
    assert labfleet_api(hub, "GET", "/users/leaver/logs").json()["lines"] == []
    hub.spawn("leaver")
    hub.stop_server("leaver")


def test_an_account_whose_volumes_are_kept_is_locked_until_its_name_returns(hub):
    started(hub, "keeper")
    hub.stop_server("keeper")
    uid = account(hub, "keeper").pw_uid
    deleted = labfleet_api(hub, "DELETE", "/users/keeper/account", json={"delete_volumes": False})
    assert deleted.status_code == 200, deleted.text
    assert account(hub, "keeper").pw_shell == "/usr/sbin/nologin"
    hub.create_user("keeper")
    hub.spawn("keeper")  # the kept volumes come back with their owner
    assert account(hub, "keeper").pw_uid == uid and account(hub, "keeper").pw_shell == "/bin/bash"
    hub.stop_server("keeper")


def test_a_system_account_labfleet_did_not_make_is_never_taken_over(hub):
    name = system_account_name(hub.account_prefix, "intruder")
    subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent", name], check=True)
    try:
        hub.create_user("intruder")
        answer = hub.api("POST", "/users/intruder/server")
        wait_for(lambda: not hub.user("intruder")["pending"], 30, "the start to end")
        assert not hub.user("intruder")["servers"], answer.text
        assert any("was not made by this labfleet hub" in line for line in hub.output)
        assert pwd.getpwnam(name).pw_dir == "/nonexistent"  # untouched
    finally:
        subprocess.run(["userdel", name], check=False)


def test_renaming_an_account_with_leftover_processes_answers_409(hub):
    started(hub, "stayer")
    hub.stop_server("stayer")
    leftover = subprocess.Popen(["sleep", "60"], user=account(hub, "stayer").pw_uid)
    try:
        renamed = hub.api("PATCH", "/users/stayer", json={"name": "stayer2"})
        assert renamed.status_code == 409, renamed.text
        assert "still runs processes" in renamed.json()["message"]
        assert hub.user("stayer")["name"] == "stayer"
    finally:
        leftover.kill()
        leftover.wait()


# -- 8. leftover services --------------------------------------------------------------------


@pytest.mark.slow
def test_the_culler_ends_with_a_hub_that_crashed():
    with running_hub("crash") as crashed:

        def culler() -> int | None:
            found = subprocess.run(
                ["pgrep", "-P", str(crashed.proc.pid), "-f", "labfleet.culler"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            return int(found.stdout.split()[0]) if found.stdout.strip() else None

        pid = wait_for(culler, 30, "the culler service")
        crashed.proc.send_signal(signal.SIGKILL)
        crashed.proc.wait()
        wait_for(lambda: not alive(pid), 15, "the culler to end")


# -- 9. what servers are given --------------------------------------------------------------


def test_servers_get_a_clean_path(hub):
    token = started(hub, "pathfinder")
    path = run_in_kernel(hub, "pathfinder", "import os\nprint(os.environ['PATH'])", token)
    assert "/root" not in path and "/usr/bin" in path.split(":")
    hub.stop_server("pathfinder")


def test_a_users_port_check_sees_only_real_listeners():
    # the ownership check reads /proc/net/tcp: a socket of this process is found, with its uid
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        found = processes.listener(port)
        assert found is not None and found.uid == os.geteuid()
        assert os.getpid() in processes.holders(found.inode)
    time.sleep(0.1)
    assert processes.listener(port) is None

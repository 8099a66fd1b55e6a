"""The control-group drivers: which one a host gets, and what each writes.

cgroup v1 runs for real on this machine (tests/test_isolation.py attacks it). cgroup v2 and
systemd scopes cannot run here: their drivers are checked against a folder laid out as
cgroupfs is (the files a kernel offers), and by the command they build.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import run_labfleet, running_hub

from labfleet.backends import cgroups
from labfleet.backends.cgroups import CgroupV1, CgroupV2, Limits, NoControlGroups, SystemdScopes

V2_FILES = ("cgroup.procs", "cgroup.subtree_control", "memory.max", "memory.swap.max",
            "cpu.max", "pids.max", "memory.current", "pids.current", "cgroup.controllers")  # fmt: skip


def fake_proc(tmp_path: Path, cgroup: str, mountinfo: str) -> Path:
    proc = tmp_path / "proc-self"
    proc.mkdir()
    (proc / "cgroup").write_text(cgroup)
    (proc / "mountinfo").write_text(mountinfo)
    return proc


def mount_line(point: Path, fstype: str, options: str) -> str:
    return f"30 23 0:26 / {point} rw,nosuid - {fstype} {fstype} {options}\n"


class FakeV2(CgroupV2):
    """CgroupV2 on a folder where every new group gets the files the kernel would make."""

    def prepare(self, name, limits):
        for folder in [self.top, *self.base.parents, self.base, self.folder(name)]:
            if self.top in (folder, *folder.parents):
                folder.mkdir(parents=True, exist_ok=True)
                for file in V2_FILES:
                    (folder / file).touch()
        super().prepare(name, limits)


def test_cgroup_v2_writes_the_limits_and_gives_the_controllers_to_each_level(tmp_path):
    root = tmp_path / "unified"
    driver = FakeV2(root, root / "labfleet")
    driver.prepare("lf-ada", Limits(memory_bytes=2 << 30, cpus=1.5, processes=256))
    group = root / "labfleet" / "lf-ada"
    assert (group / "memory.max").read_text() == str(2 << 30)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "cpu.max").read_text() == "150000 100000"
    assert (group / "pids.max").read_text() == "256"
    for level in (root, root / "labfleet"):
        assert (level / "cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    assert driver.join_files("lf-ada") == [group / "cgroup.procs"]
    # no limits: the kernel's word for none
    driver.prepare("lf-ben", Limits())
    group = root / "labfleet" / "lf-ben"
    assert (group / "memory.max").read_text() == "max"
    assert (group / "cpu.max").read_text() == "max 100000"
    assert (group / "pids.max").read_text() == "max"


def test_cgroup_v2_reads_use_and_members(tmp_path):
    root = tmp_path / "unified"
    driver = FakeV2(root, root / "labfleet")
    driver.prepare("lf-ada", Limits(memory_bytes=1 << 30, processes=64))
    group = root / "labfleet" / "lf-ada"
    (group / "memory.current").write_text("52428800\n")
    (group / "pids.current").write_text("7\n")
    (group / "cgroup.procs").write_text("101\n102\n")
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    assert driver.members("lf-ada") == [101, 102]
    usage = driver.usage("lf-ada").to_json()
    assert usage == {"memory_bytes": 52428800, "memory_limit_bytes": 1 << 30,
                     "processes": 7, "processes_limit": 64, "cpu_seconds": 2.5}  # fmt: skip


def test_a_delegated_v2_group_moves_the_hub_out_of_the_way(tmp_path):
    mine = tmp_path / "unified" / "system.slice" / "labfleet.service"
    driver = FakeV2(mine, mine / "labfleet", move_hub=True)
    mine.mkdir(parents=True)
    for file in V2_FILES:
        (mine / file).touch()
    (mine / "cgroup.procs").write_text("4242\n")
    (mine / "hub").mkdir()
    (mine / "hub" / "cgroup.procs").touch()
    driver.prepare("lf-ada", Limits())
    # the hub moved into a leaf of its own; the controllers go down from its unit's group
    assert (mine / "hub" / "cgroup.procs").read_text() == "4242"
    assert (mine / "cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    assert not (tmp_path / "unified" / "system.slice" / "cgroup.subtree_control").exists()


def test_systemd_scopes_wrap_the_command_with_the_limits():
    prefix = SystemdScopes().command_prefix("lf-ada", 1001, 1002, Limits(2 << 30, 0.5, 300))
    assert prefix == [
        "systemd-run", "--scope", "--quiet", "--collect", "--unit=labfleet-lf-ada.scope",
        "--slice=labfleet.slice", "--uid=1001", "--gid=1002",
        f"--property=MemoryMax={2 << 30}", "--property=MemorySwapMax=0",
        "--property=CPUQuota=50%", "--property=TasksMax=300", "--",
    ]  # fmt: skip
    assert "--property" not in " ".join(SystemdScopes().command_prefix("x", 1, 1, Limits()))


@pytest.mark.skipif(os.geteuid() != 0, reason="detection needs root")
def test_a_hybrid_host_gets_v1_groups_below_the_hubs_own(tmp_path):
    unified = tmp_path / "unified"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("hugetlb\n")
    mounts = {c: tmp_path / c for c in ("memory", "cpu,cpuacct", "pids", "freezer")}
    mountinfo = "".join(mount_line(p, "cgroup", f"rw,{c}") for c, p in mounts.items())
    mountinfo += mount_line(unified, "cgroup2", "rw")
    proc = fake_proc(
        tmp_path,
        "5:memory:/sandbox/42\n4:cpu,cpuacct:/\n3:pids:/\n2:freezer:/\n0::/\n",
        mountinfo,
    )
    driver = cgroups.detect("auto", proc_self=proc)
    assert isinstance(driver, CgroupV1)
    assert driver.mounts["memory"] == tmp_path / "memory" / "sandbox" / "42" / "labfleet"
    assert driver.mounts["cpu"] == tmp_path / "cpu,cpuacct" / "labfleet"
    assert driver.unified == unified / "labfleet"


@pytest.mark.skipif(os.geteuid() != 0, reason="detection needs root")
def test_a_full_v2_host_without_systemd_gets_v2(tmp_path):
    if Path("/run/systemd/system").is_dir():
        pytest.skip("this host runs systemd")
    unified = tmp_path / "unified"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    proc = fake_proc(tmp_path, "0::/\n", mount_line(unified, "cgroup2", "rw"))
    driver = cgroups.detect("auto", proc_self=proc)
    assert isinstance(driver, CgroupV2) and driver.base == unified / "labfleet"


def test_off_means_no_control_groups():
    off = cgroups.detect("off")
    assert isinstance(off, NoControlGroups) and not off.applies_limits
    assert "off" in off.reason


def test_this_machine_gets_real_control_groups():
    """CI runs as root on the hybrid layout: the isolation tests use real groups."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    driver = cgroups.detect()
    assert driver.applies_limits, getattr(driver, "reason", "")


@pytest.mark.slow
def test_a_hub_without_control_groups_says_so_and_applies_no_limits():
    config = {
        "local": {"control_groups": "off"},
        "hub": {"load_groups": {"course": {"users": []}}},
    }
    with running_hub("no-cgroups", config) as hub:
        warning = "Servers run without control groups (local.control_groups is off)"
        assert any(warning in line for line in hub.start_output)
        group = hub.api("GET", "/labfleet/groups/course").json()
        assert hub.api(
            "PUT", "/labfleet/groups/course", json={"cpu_limit": 1, "mem_limit": "1G"}
        ).json()["not_applied"].keys() >= {"cpu_limit", "mem_limit"}
        assert group["backend"] == "local"
        session, _ = hub.login("admin", hub.admin_password)
        page = session.get(f"{hub.url}/hub/labfleet/groups", timeout=30).text
        assert 'name="cpu_limit"' in page and 'name="mem_limit"' in page
        # the limit fields are disabled, saying why
        for field in ("cpu_limit", "mem_limit"):
            tag = page[page.index(f'name="{field}"') :].split(">", 1)[0]
            assert "disabled" in tag and "local.control_groups is off" in tag


@pytest.mark.slow
def test_doctor_says_when_servers_run_without_control_groups(tmp_path):
    (tmp_path / "labfleet.yaml").write_text("local: {control_groups: 'off'}\n")
    doctor = run_labfleet("doctor", cwd=tmp_path)
    assert "warning: Servers run without control groups" in doctor.stdout

"""GPU detection: nvidia-smi's recorded outputs parsed, the no-GPU path for real, the settings page.

This machine has no GPU. The outputs in tests/data/nvidia-smi-*.txt are what nvidia-smi
prints for ``--query-gpu=index,name,memory.total,uuid --format=csv,noheader``; a hub
reads them through ``gpu.nvidia_smi`` pointing at a script that replays one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from harness import DATA, Hub, make_root, replay_script, running_hub

from labfleet import gpu
from labfleet.gpu import Device, Gpu, GpuStatus

DOCKER_SOCKET = Path("/var/run/docker.sock")

# the module's hub: GPUs forced on, on a host without nvidia-smi
HUB_CONFIG = {"gpu": {"mode": "on"}}


# -- parsing the recorded outputs -----------------------------------------------------


def test_two_a100s_are_parsed():
    devices = gpu.parse_nvidia_smi((DATA / "nvidia-smi-2xA100.txt").read_text())
    assert devices == [
        Device(0, "NVIDIA A100-SXM4-80GB", 81920, "GPU-6c0c6a9e-6d3e-4b5a-8f0e-2b5c1a9d3e71"),
        Device(1, "NVIDIA A100-SXM4-80GB", 81920, "GPU-0b7f3c2d-1e4a-4c6b-9d8e-7f6a5b4c3d21"),
    ]


def test_one_t4_is_parsed():
    (device,) = gpu.parse_nvidia_smi((DATA / "nvidia-smi-1xT4.txt").read_text())
    assert (device.index, device.name, device.memory_mib) == (0, "Tesla T4", 15360)


def test_unknown_memory_is_none_and_names_keep_their_spaces():
    devices = gpu.parse_nvidia_smi((DATA / "nvidia-smi-mixed.txt").read_text())
    assert [d.name for d in devices] == ["NVIDIA GeForce RTX 4090", "NVIDIA H100 80GB HBM3"]
    assert [d.memory_mib for d in devices] == [24564, None]


@pytest.mark.parametrize("recording", ["nvidia-smi-no-devices.txt", "nvidia-smi-no-driver.txt"])
def test_messages_are_not_taken_for_gpus(recording):
    with pytest.raises(ValueError, match="unexpected nvidia-smi line"):
        gpu.parse_nvidia_smi((DATA / recording).read_text())


@pytest.mark.parametrize(
    "recording, exit_code, found",
    [
        ("nvidia-smi-2xA100.txt", 0, "2 NVIDIA GPUs found"),
        ("nvidia-smi-1xT4.txt", 0, "1 NVIDIA GPU found"),
        ("nvidia-smi-no-devices.txt", 6, "exited 6: No devices were found"),
        ("nvidia-smi-no-driver.txt", 9, "exited 9: NVIDIA-SMI has failed"),
    ],
)
def test_the_command_is_run_and_its_exit_code_read(tmp_path, recording, exit_code, found):
    devices, detail = gpu.run_nvidia_smi(str(replay_script(tmp_path, recording, exit_code)))
    assert found in detail
    assert bool(devices) == (exit_code == 0)


# -- the no-GPU path, for real ---------------------------------------------------------


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this host has nvidia-smi")
def test_without_nvidia_smi_auto_finds_no_gpu():
    status = gpu.detect(Gpu(mode="auto"))
    assert status == GpuStatus("auto", False, "nvidia-smi not found: no NVIDIA driver on this host")
    assert gpu.gpu_devices(status) == []


def test_off_runs_no_detection():
    status = gpu.detect(Gpu(mode="off", nvidia_smi="/nonexistent/nvidia-smi"))
    assert (status.enabled, status.devices) == (False, ())
    assert status.detail.startswith("off") and "not found" not in status.detail


@pytest.mark.skipif(not os.access(DOCKER_SOCKET, os.W_OK), reason="no Docker engine")
def test_the_docker_engine_is_asked_for_the_nvidia_runtime():
    info = gpu.docker_info(f"unix://{DOCKER_SOCKET}", timeout=10)
    assert info is not None and "runc" in info["Runtimes"]
    # this engine has no NVIDIA runtime: auto keeps GPUs off even if nvidia-smi found some
    runtime = gpu.nvidia_runtime(info)
    status = gpu.decide("auto", [Device(0, "T4", 15360, "GPU-x")], "1 NVIDIA GPU found", runtime)
    assert runtime is False and status.enabled is False
    assert "no NVIDIA runtime" in status.detail


def test_an_engine_that_does_not_answer_means_no_runtime():
    assert gpu.docker_info("unix:///nonexistent/docker.sock", timeout=2) is None
    assert gpu.nvidia_runtime({"Runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}})


# -- what a GPU server gets ------------------------------------------------------------

A100S = tuple(gpu.parse_nvidia_smi((DATA / "nvidia-smi-2xA100.txt").read_text()))


def test_gpu_servers_get_the_detected_devices():
    status = gpu.decide("auto", A100S, "2 NVIDIA GPUs found", None)
    devices = gpu.gpu_devices(status)
    assert devices == [d.uuid for d in A100S]
    assert gpu.gpu_environment(devices) == {
        "CUDA_VISIBLE_DEVICES": ",".join(devices),
        "NVIDIA_VISIBLE_DEVICES": ",".join(devices),
    }
    assert gpu.docker_device_requests(devices) == [
        {"driver": "nvidia", "capabilities": [["gpu"]], "device_ids": devices}
    ]


def test_on_without_an_inventory_gives_all_devices_and_warns():
    status = gpu.decide("on", [], "nvidia-smi not found", False)
    assert status.enabled and gpu.gpu_devices(status) == ["all"]
    assert len(status.warnings) == 2
    assert gpu.gpu_environment(["all"]) == {"NVIDIA_VISIBLE_DEVICES": "all"}
    assert gpu.docker_device_requests(["all"])[0]["count"] == -1


def test_no_devices_hides_the_gpus():
    assert gpu.gpu_environment([]) == {"CUDA_VISIBLE_DEVICES": "", "NVIDIA_VISIBLE_DEVICES": "void"}
    assert gpu.docker_device_requests([]) == []


# -- through the hub ---------------------------------------------------------------------


def test_mode_on_without_a_gpu_warns_at_start_and_stays_on(hub):
    assert any("gpu.mode is on but no GPU was detected" in line for line in hub.start_output)
    status = hub.api("GET", "/labfleet/settings").json()["gpu"]
    assert status["mode"] == "on" and status["enabled"] is True
    assert status["devices"] == [] and "nvidia-smi not found" in status["detail"]


@pytest.fixture(scope="module")
def gpu_hub():
    """A hub whose nvidia-smi replays two A100s."""

    def replay(root):
        return {
            "gpu": {"mode": "auto", "nvidia_smi": str(replay_script(root, "nvidia-smi-2xA100.txt"))}
        }

    with running_hub("gpu-inventory", prepare=replay) as instance:
        yield instance


@pytest.mark.slow
def test_the_inventory_is_on_the_settings_api_and_page(gpu_hub):
    status = gpu_hub.api("GET", "/labfleet/settings").json()["gpu"]
    assert status["enabled"] is True and "2 NVIDIA GPUs found" in status["detail"]
    assert status["devices"] == [
        {"index": d.index, "name": d.name, "memory_mib": d.memory_mib, "uuid": d.uuid}
        for d in A100S
    ]
    session, login = gpu_hub.login("admin", gpu_hub.admin_password)
    assert login.status_code == 302
    page = session.get(f"{gpu_hub.url}/hub/labfleet/settings", timeout=30)
    assert page.status_code == 200
    for device in A100S:
        assert device.uuid in page.text
    assert "81920 MiB" in page.text and 'id="labfleet-gpu-devices"' in page.text
    # detection ran once, at start
    assert sum("GPUs: 2 NVIDIA GPUs found" in line for line in gpu_hub.output) == 1


@pytest.mark.slow
def test_gpu_settings_are_validated_at_start():
    root = make_root("gpu-bad")
    bad = Hub(root, {"gpu": {"mode": "maybe"}}, name="gpu-bad")
    try:
        with pytest.raises(RuntimeError, match="allowed values: off, on, auto"):
            bad.start()
    finally:
        bad.cleanup()

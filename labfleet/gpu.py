"""GPUs: the ``gpu`` section, detection of NVIDIA GPUs once at start, and what a GPU server gets.

``auto`` runs ``nvidia-smi`` on the host (and, on the docker backend, asks the engine
whether the NVIDIA runtime is registered); the hub keeps the :class:`GpuStatus` it found
for its whole run. At spawn, :func:`gpu_devices` says which devices a server of a GPU
group gets, and :func:`gpu_environment` / :func:`docker_device_requests` hand them over.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import docker
from traitlets import Enum, Unicode
from traitlets.config import Configurable

QUERY = ["--query-gpu=index,name,memory.total,uuid", "--format=csv,noheader"]
DETECT_TIMEOUT = 20
ALL = "all"


class Gpu(Configurable):
    """GPU settings (the ``gpu`` section of labfleet.yaml)."""

    mode = Enum(
        ["off", "on", "auto"],
        default_value="auto",
        help="""Whether members of GPU groups get GPUs.

        off: never. on: always, even when detection finds none (the operator knows
        better, e.g. a hub that cannot run nvidia-smi itself). auto: when NVIDIA GPUs
        are found at start (and, on the docker backend, the NVIDIA runtime is registered).
        """,
    ).tag(config=True)

    nvidia_smi = Unicode(
        "nvidia-smi",
        help="The nvidia-smi command that lists the host's GPUs (a name on PATH or a path).",
    ).tag(config=True)


@dataclass(frozen=True)
class Device:
    """One GPU, as nvidia-smi lists it."""

    index: int
    name: str
    memory_mib: int | None
    uuid: str


@dataclass(frozen=True)
class GpuStatus:
    """What detection found at start; ``enabled``: GPU groups get ``devices`` at spawn."""

    mode: str
    enabled: bool
    detail: str
    devices: tuple[Device, ...] = ()
    docker_runtime: bool | None = None  # None: not asked (not the docker backend)
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "devices": [asdict(d) for d in self.devices]}


def parse_memory(text: str) -> int | None:
    """MiB from nvidia-smi's ``81920 MiB`` (None for ``[N/A]`` and the like)."""
    number, _, unit = text.strip().partition(" ")
    if not number.isdigit() or unit not in ("MiB", ""):
        return None
    return int(number)


def parse_nvidia_smi(output: str) -> list[Device]:
    """The GPUs in the output of ``nvidia-smi`` with :data:`QUERY`; ValueError if malformed."""
    devices = []
    for line in output.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or not fields[0].isdigit():
            raise ValueError(f"unexpected nvidia-smi line: {line!r}")
        # a name may hold commas: it is everything between the index and the memory
        index, *name, memory, uuid = fields
        devices.append(Device(int(index), ", ".join(name), parse_memory(memory), uuid))
    return devices


def run_nvidia_smi(command: str) -> tuple[list[Device], str]:
    """The host's GPUs and a sentence saying what was found (no GPU: an empty list)."""
    try:
        done = subprocess.run(
            [command, *QUERY], capture_output=True, text=True, timeout=DETECT_TIMEOUT
        )
    except FileNotFoundError:
        return [], f"{command} not found: no NVIDIA driver on this host"
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], f"{command} failed: {e}"
    if done.returncode != 0:
        message = (done.stdout + done.stderr).strip().splitlines()
        return [], f"{command} exited {done.returncode}: {message[0] if message else ''}".strip()
    try:
        devices = parse_nvidia_smi(done.stdout)
    except ValueError as e:
        return [], f"{command}: {e}"
    return devices, f"{len(devices)} NVIDIA GPU{'s' * (len(devices) != 1)} found by {command}"


def nvidia_runtime(info: dict[str, Any]) -> bool:
    """Whether a Docker engine's ``info`` lists the NVIDIA runtime."""
    return "nvidia" in (info.get("Runtimes") or {})


def docker_info(engine_url: str, timeout: float) -> dict[str, Any] | None:
    """The engine's ``docker info``, or None when it cannot be asked."""
    try:
        client = docker.DockerClient(base_url=engine_url, timeout=timeout)
        try:
            return client.info()
        finally:
            client.close()
    except docker.errors.DockerException:
        return None


def decide(
    mode: str, devices: Sequence[Device], found: str, docker_runtime: bool | None
) -> GpuStatus:
    """The status for ``mode`` given what detection found; pure."""
    runtime_missing = docker_runtime is False
    if mode == "auto":
        enabled = bool(devices) and not runtime_missing
        detail = found
        if devices and runtime_missing:
            detail += "; the Docker engine has no NVIDIA runtime, so GPUs stay off"
        elif docker_runtime:
            detail += "; the Docker engine has the NVIDIA runtime"
        return GpuStatus(mode, enabled, detail, tuple(devices), docker_runtime)
    warnings = []
    if not devices:
        warnings.append(
            f"gpu.mode is on but no GPU was detected ({found}): GPU servers may fail to start"
        )
    if runtime_missing:
        warnings.append("gpu.mode is on but the Docker engine has no NVIDIA runtime registered")
    detail = f"on (gpu.mode); {found}"
    return GpuStatus(mode, True, detail, tuple(devices), docker_runtime, tuple(warnings))


def detect(settings: Gpu, docker_engine: str | None = None, timeout: float = 10) -> GpuStatus:
    """Detect the GPUs as ``settings`` say; ``docker_engine``: the engine of the docker backend."""
    if settings.mode == "off":
        return GpuStatus("off", False, "off (gpu.mode): no server gets a GPU")
    devices, found = run_nvidia_smi(settings.nvidia_smi)
    runtime = None
    if docker_engine is not None:
        info = docker_info(docker_engine, timeout)
        runtime = nvidia_runtime(info) if info is not None else False
    return decide(settings.mode, devices, found, runtime)


def gpu_devices(status: GpuStatus) -> list[str]:
    """The devices a server of a GPU group gets: GPU UUIDs, ``["all"]``, or [] when GPUs are off.

    ``["all"]`` when GPUs are on but none was listed (``gpu.mode: on`` without nvidia-smi).
    """
    if not status.enabled:
        return []
    return [d.uuid for d in status.devices] or [ALL]


def gpu_environment(devices: Sequence[str]) -> dict[str, str]:
    """Environment of a server given ``devices`` ([]: none): CUDA and the NVIDIA runtime read it."""
    if not devices:
        return {"CUDA_VISIBLE_DEVICES": "", "NVIDIA_VISIBLE_DEVICES": "void"}
    if list(devices) == [ALL]:
        return {"NVIDIA_VISIBLE_DEVICES": ALL}
    listed = ",".join(devices)
    return {"CUDA_VISIBLE_DEVICES": listed, "NVIDIA_VISIBLE_DEVICES": listed}


def docker_device_requests(devices: Sequence[str]) -> list[dict[str, Any]]:
    """docker-py ``device_requests`` (host config) for ``devices``; [] for none."""
    if not devices:
        return []
    request: dict[str, Any] = {"driver": "nvidia", "capabilities": [["gpu"]]}
    if list(devices) == [ALL]:
        return [{**request, "count": -1}]
    return [{**request, "device_ids": list(devices)}]

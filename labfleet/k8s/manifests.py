"""Pure builders of what the kubernetes backend sends to the cluster: PVC names and bodies,
the pod's volumes and mounts, GPU limits, and the reading of resource quantities.

Like kubespawner's ``objects.py``: explicit keyword arguments in, plain dicts (the JSON the
Kubernetes API takes) out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from ..objects import bounded, render_name

# a DNS-1123 label: what Kubernetes accepts as the name of a PVC, a pod or a volume
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
MAX_NAME_LENGTH = 63
# on labfleet's PVCs: the hub user (any text, so an annotation) and the volume's key
USER_ANNOTATION = "labfleet.io/user"
VOLUME_LABEL = "labfleet.io/volume"
GPU_RESOURCE = "nvidia.com/gpu"

SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}  # fmt: skip
QUANTITY = re.compile(r"([0-9.]+)([a-zA-Z]*)")


def resource_name(template: str, username: str, **fields: str) -> str:
    """The name ``template`` gives ``username``'s object: escaped (objects.safe_name), at most
    63 characters, a DNS-1123 label; ValueError naming the template if it cannot be one."""
    name = bounded(render_name(template, username, **fields), MAX_NAME_LENGTH)
    if not DNS_LABEL.fullmatch(name):
        raise ValueError(
            f"the template {template!r} makes {name!r} for {username!r}, not a Kubernetes "
            "name (lower-case letters, digits and -, starting and ending with a letter or digit)"
        )
    return name


def volume_key(volume: str) -> str:
    """The name of a labfleet volume in the pod's spec (volumes and volumeMounts)."""
    return f"labfleet-{volume}"


def make_pvc(
    *,
    name: str,
    username: str,
    volume: str,
    capacity: str,
    access_modes: Sequence[str],
    storage_class: str | None = None,
    selector: Mapping | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict:
    """The claim of one labfleet volume of ``username``."""
    spec: dict = {
        "accessModes": list(access_modes),
        "resources": {"requests": {"storage": capacity}},
    }
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if selector:
        spec["selector"] = dict(selector)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "labels": {**(labels or {}), VOLUME_LABEL: volume},
            "annotations": {USER_ANNOTATION: username},
        },
        "spec": spec,
    }


def make_volumes(claims: Mapping[str, str]) -> list[dict]:
    """The pod's volumes for ``claims``: labfleet volume key -> PVC name."""
    return [
        {"name": volume_key(volume), "persistentVolumeClaim": {"claimName": claim}}
        for volume, claim in claims.items()
    ]


def make_volume_mounts(paths: Mapping[str, str]) -> list[dict]:
    """The notebook container's mounts for ``paths``: labfleet volume key -> folder."""
    return [{"name": volume_key(volume), "mountPath": path} for volume, path in paths.items()]


def gpu_limits(devices: Sequence[str], per_server: int) -> dict[str, str]:
    """Extra resource limits of a server given its GPU ``devices`` (gpu.gpu_devices; []: none).

    The cluster's device plugin picks the GPUs: a server gets ``per_server`` of them, or as
    many as the listed devices when the hub could list them.
    """
    if not devices:
        return {}
    count = per_server if list(devices) == ["all"] else len(devices)
    return {GPU_RESOURCE: str(count)}


def parse_quantity(text: str) -> float:
    """A Kubernetes quantity (``250m``, ``123456Ki``, ``1.5Gi``) as a number; ValueError if not one."""
    match = QUANTITY.fullmatch(text.strip())
    if not match or match.group(2) not in SUFFIXES:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    return float(Decimal(match.group(1)) * SUFFIXES[match.group(2)])

"""The ``kubernetes`` backend: every server a pod (KubeSpawner), every volume a PVC.

The hub runs in the cluster through the Zero to JupyterHub chart (``labfleet k8s values``),
which configures KubeSpawner (namespace, storage class, the home PVC's mount); this backend
adds one PVC per labfleet volume, named by ``volume_name_template`` and labelled
``labfleet.io/volume`` (annotated ``labfleet.io/user`` with the hub user name), so
``kubectl get pvc -l labfleet.io/volume`` lists them. Every call of the Kubernetes API is
bounded by ``api_timeout``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlparse

import aiohttp
from kubernetes_asyncio.client import ApiException, CoreV1Api, CustomObjectsApi
from kubernetes_asyncio.config import ConfigException
from kubespawner import KubeSpawner
from kubespawner.clients import load_config, shared_client
from traitlets import Dict, Float, Integer, Unicode, default

from ..k8s import manifests
from ..profiles import Profile
from ..proxy.routing import ChartProxy
from ..volumes import VolumeSpec, VolumeState
from .base import Backend, BackendError, LabFleetSpawner, Problem, Usage

T = TypeVar("T")
METRICS = ("metrics.k8s.io", "v1beta1")
# KubeSpawner's label of users' pods
SERVER_SELECTOR = "component=singleuser-server"
# names the volume template is checked with at start: escaped first characters, length
SAMPLE_USERS = ("Ünïcode", "o.brien", "a-b_c@x.org", "x" * 80)


class LabKubeSpawner(LabFleetSpawner, KubeSpawner):
    """KubeSpawner with labfleet's PVCs, mounts, GPU limits and environments."""

    _configured_pod: tuple[str, dict] | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # the chart mounts the claim {pvc_name} at the home: it is labfleet's home volume
        home = self.backend.home_volume
        if home is not None:
            self.pvc_name = self.backend.volume_name(self.user.name, home)

    @default("image")
    def _image_default(self) -> str:
        return self.backend.image

    @default("delete_pvc")
    def _delete_pvc_default(self) -> bool:
        # labfleet decides what happens to a deleted user's volumes (reset_volumes)
        return False

    def apply_profile_to_pod(self, profile: Profile) -> None:
        """The environment's image and node selector, over the configured ones."""
        if self._configured_pod is None:
            self._configured_pod = (self.image, dict(self.node_selector))
        image, selector = self._configured_pod
        self.image = profile.image or image
        self.node_selector = {**selector, **self.backend.node_selectors.get(profile.name, {})}

    async def load_user_options(self) -> None:
        # the chart's profile list holds labfleet's environments: KubeSpawner applies the
        # chosen one (without "profile" it would apply its default over labfleet's choice)
        profile = self.profile
        if profile is not None and self.profile_list:
            self.user_options = {**self.user_options, "profile": profile.name}
        await super().load_user_options()

    async def start(self) -> str:
        await self.backend.prepare_volumes(self)
        # every claim exists now, the home's too: KubeSpawner need not make it again
        self._pvc_exists = True
        self.new_notify_key()  # in the pod's environment (get_env)
        return await super().start()

    async def get_pod_manifest(self):
        """KubeSpawner's pod, with labfleet's volumes not yet mounted and the GPU limits."""
        configured = self.volumes, self.volume_mounts, self.extra_resource_limits
        volumes, mounts = self.backend.pod_storage(self)
        self.volumes = [*self._sorted_dict_values(self.volumes), *volumes]
        self.volume_mounts = [*self._sorted_dict_values(self.volume_mounts), *mounts]
        self.extra_resource_limits = {
            **self.extra_resource_limits,
            **manifests.gpu_limits(self.gpus, self.backend.gpus_per_server),
        }
        try:
            return await super().get_pod_manifest()
        finally:
            self.volumes, self.volume_mounts, self.extra_resource_limits = configured

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        if self.gpus:
            # the cluster's device plugin says which GPUs the pod got
            env.pop("NVIDIA_VISIBLE_DEVICES", None)
            env.pop("CUDA_VISIBLE_DEVICES", None)
        return env


class KubernetesBackend(Backend):
    """Pods and PVCs through the Kubernetes API, as KubeSpawner reaches it."""

    name = "kubernetes"
    spawner_class = LabKubeSpawner
    # the chart's own proxy
    proxy_class = ChartProxy

    image = Unicode(
        "labfleet-user:latest",
        help="Image of the users' servers, from a registry the cluster pulls from "
        "(labfleet k8s dockerfiles writes its Dockerfile); the chart's singleuser.image.",
    ).tag(config=True)

    hub_image = Unicode(
        "labfleet-hub:latest",
        help="Image of the hub pod, with labfleet installed (labfleet k8s dockerfiles); the "
        "chart's hub.image.",
    ).tag(config=True)

    volume_name_template = Unicode(
        "labfleet-{username}-{volume}",
        help="Name of each user's PVCs; {username} is escaped, {volume} the volume's key. "
        "Cut to 63 characters (with a hash) and checked to be a Kubernetes name.",
    ).tag(config=True)

    home_mount = Unicode(
        "/home/jovyan",
        help="Where the home volume is mounted in the pod; the other volumes go below it.",
    ).tag(config=True)

    namespace = Unicode(
        help="Namespace of the users' pods and PVCs. Default: KubeSpawner's (the chart sets "
        "it to the hub pod's), else 'default'.",
    ).tag(config=True)

    api_timeout = Float(
        10, min=0.1, help="Seconds each call of the Kubernetes API may take before it is given up."
    ).tag(config=True)

    gpus_per_server = Integer(
        1,
        min=1,
        help="GPUs (nvidia.com/gpu) a GPU server asks for when the hub cannot list the "
        "nodes' GPUs itself (gpu.mode: on).",
    ).tag(config=True)

    node_selectors = Dict(
        help="Node labels each environment's servers need, by environment name, e.g. "
        "{gpu: {'nvidia.com/gpu.present': 'true'}}.",
    ).tag(config=True)

    # -- settings KubeSpawner has (the chart sets them on it) --------------------------

    def spawner_setting(self, name: str) -> Any:
        """The value labfleet.yaml or the chart gives the spawner's trait ``name``."""
        value = self.spawner_class.class_traits()[name].default_value
        for section in self.spawner_class.section_names():
            if section in self.config and name in self.config[section]:
                value = self.config[section][name]
        return value

    @default("namespace")
    def _namespace_default(self) -> str:
        return self.spawner_setting("namespace") or "default"

    def _connect(self) -> None:
        """Load the client's configuration as KubeSpawner does (cached: the same arguments)."""
        load_config(
            host=self.spawner_setting("k8s_api_host"),
            ssl_ca_cert=self.spawner_setting("k8s_api_ssl_ca_cert"),
            verify_ssl=self.spawner_setting("k8s_api_verify_ssl"),
        )

    def _client(self, kind: type[T]) -> T:
        self._connect()
        return shared_client(kind.__name__)

    async def _call(self, what: str, call: Awaitable[T]) -> T:
        """``call`` bounded by api_timeout; failures become BackendErrors, 404 passes through."""
        where = f"the Kubernetes API (namespace {self.namespace})"
        try:
            return await asyncio.wait_for(call, self.api_timeout)
        except ApiException as e:
            if e.status == 404:
                raise
            status = 409 if e.status == 409 else 502
            raise BackendError(status, f"{where} refused to {what}: {e.status} {e.reason}") from e
        except asyncio.TimeoutError as e:
            raise BackendError(504, f"{where} did not {what} within {self.api_timeout:g}s") from e
        except aiohttp.ClientError as e:
            raise BackendError(503, f"{where} is not reachable to {what} ({e})") from e

    # -- checks --------------------------------------------------------------------

    def check(self) -> list[Problem]:
        problems = []
        try:
            for username in SAMPLE_USERS:
                for spec in self.volumes:
                    self.volume_name(username, spec)
        except ValueError as e:
            problems.append(Problem(str(e), "start kubernetes.volume_name_template with a letter"))
        try:
            self._connect()
        except (ConfigException, OSError) as e:
            problems.append(
                Problem(
                    f"no Kubernetes configuration ({e})",
                    "run the hub in the cluster (labfleet k8s values, docs/kubernetes.md) or "
                    "point KUBECONFIG at one",
                )
            )
        return problems

    def unapplied_properties(self) -> dict[str, str]:
        docker = "Docker access exists on the docker backend only"
        return {
            "mounts": "host folders are not mounted into pods on the kubernetes backend",
            "disk_limit": "the size of a user's volumes is their PVC's "
            "(the chart's singleuser.storage.capacity)",
            "docker_socket": docker,
            "privileged": docker,
        }

    # -- names ---------------------------------------------------------------------

    @property
    def home_volume(self) -> VolumeSpec | None:
        return next((spec for spec in self.volumes if spec.mount == ""), None)

    def volume_name(self, username: str, spec: VolumeSpec) -> str:
        return manifests.resource_name(self.volume_name_template, username, volume=spec.name)

    def mount_path(self, spec: VolumeSpec) -> str:
        return str(PurePosixPath(self.home_mount, spec.mount))

    def apply_profile(self, spawner: LabKubeSpawner, profile: Profile) -> None:
        spawner.apply_profile_to_pod(profile)

    # -- volumes -------------------------------------------------------------------

    def pod_storage(self, spawner: LabKubeSpawner) -> tuple[list[dict], list[dict]]:
        """The volumes and mounts of labfleet's PVCs that the configuration does not mount
        already (the chart mounts the home's claim itself)."""
        configured = spawner._expand_all(spawner._sorted_dict_values(spawner.volumes))
        claimed = {(v.get("persistentVolumeClaim") or {}).get("claimName") for v in configured}
        specs = [s for s in self.volumes if self.volume_name(spawner.user.name, s) not in claimed]
        claims = {s.name: self.volume_name(spawner.user.name, s) for s in specs}
        paths = {s.name: self.mount_path(s) for s in specs}
        return manifests.make_volumes(claims), manifests.make_volume_mounts(paths)

    async def _exists(self, name: str) -> bool:
        api = self._client(CoreV1Api)
        try:
            await self._call(
                f"read the PVC {name}",
                api.read_namespaced_persistent_volume_claim(name, self.namespace),
            )
        except ApiException:  # 404
            return False
        return True

    async def existing_volumes(self, names: Sequence[str]) -> set[str]:
        found = await asyncio.gather(*(self._exists(name) for name in names))
        return {name for name, exists in zip(names, found) if exists}

    async def list_volumes(self, username: str) -> list[VolumeState]:
        """The user's PVCs; their sizes are unknown (the API knows claims, not usage)."""
        names = {spec: self.volume_name(username, spec) for spec in self.volumes}
        existing = await self.existing_volumes(list(names.values()))
        return [
            VolumeState(spec, name, exists=name in existing, size_bytes=None)
            for spec, name in names.items()
        ]

    async def prepare_volumes(self, spawner: LabKubeSpawner) -> None:
        """Create the missing PVCs of the spawner's user, with KubeSpawner's storage settings."""
        api = self._client(CoreV1Api)
        username = spawner.user.name
        names = {spec: self.volume_name(username, spec) for spec in self.volumes}
        existing = await self.existing_volumes(list(names.values()))
        labels = spawner._build_common_labels(spawner._expand_all(spawner.storage_extra_labels))
        for spec, name in names.items():
            if name in existing:
                continue
            body = manifests.make_pvc(
                name=name,
                username=username,
                volume=spec.name,
                capacity=spawner.storage_capacity,
                access_modes=spawner.storage_access_modes,
                storage_class=spawner.storage_class,
                selector=spawner.storage_selector,
                labels=labels,
            )
            self.log.info("Creating the PVC %s (%s of %s)", name, spec.name, username)
            try:
                await self._call(
                    f"create the PVC {name}",
                    api.create_namespaced_persistent_volume_claim(self.namespace, body),
                )
            except BackendError as e:
                if e.status_code != 409:  # made meanwhile: fine
                    raise

    async def reset_volumes(self, username: str, names: Sequence[str]) -> None:
        """Delete the named PVCs; refused (409) while a server's pod mounts one of them."""
        specs = self.volume_specs(names)
        claims = {self.volume_name(username, specs[name]) for name in names}
        api = self._client(CoreV1Api)
        pods = await self._call(
            "list the servers' pods",
            api.list_namespaced_pod(self.namespace, label_selector=SERVER_SELECTOR),
        )
        for pod in pods.items:
            mounted = {v.persistent_volume_claim.claim_name for v in pod.spec.volumes or []
                       if v.persistent_volume_claim}  # fmt: skip
            if mounted & claims:
                raise BackendError(
                    409,
                    f"the server of {username} is running (pod {pod.metadata.name}): stop it "
                    "before resetting volumes",
                )
        for name in names:
            claim = self.volume_name(username, specs[name])
            try:
                await self._call(
                    f"delete the PVC {claim}",
                    api.delete_namespaced_persistent_volume_claim(claim, self.namespace),
                )
            except ApiException:  # 404: nothing to reset
                pass
            self.log.info("Reset volume %s of %s (PVC %s)", name, username, claim)

    async def rename_volumes(self, old: str, new: str) -> None:
        """PVCs cannot be renamed: only a user without PVCs can be renamed (as on docker)."""
        await self.refuse_rename_with_volumes(old, new, "PVCs")

    # -- servers -------------------------------------------------------------------

    async def restart_in_place(self, spawner: LabKubeSpawner) -> None:
        """Delete the pod and create it again with the same claims, image and token."""
        token = spawner.api_token
        await spawner.stop()
        spawner.api_token = token
        url = urlparse(await spawner.start())
        spawner.server.ip, spawner.server.port = url.hostname, url.port

    async def usage(self, spawner: LabKubeSpawner) -> Usage:
        """The pod's memory from the metrics API (metrics-server); 501 when it has none."""
        api = self._client(CustomObjectsApi)
        try:
            metrics = await self._call(
                "read the pod's metrics",
                api.get_namespaced_custom_object(
                    *METRICS, spawner.namespace, "pods", spawner.pod_name
                ),
            )
        except ApiException as e:
            raise BackendError(
                501,
                f"the kubernetes backend cannot measure the server of {spawner.user.name}: "
                f"the metrics API ({'/'.join(METRICS)}) is not available ({e.status} {e.reason}); "
                "install metrics-server in the cluster",
            ) from None
        memory = sum(
            manifests.parse_quantity(c["usage"]["memory"]) for c in metrics.get("containers", [])
        )
        return Usage(
            memory_bytes=int(memory),
            memory_limit_bytes=spawner.mem_limit or None,
            processes=None,
            processes_limit=None,
        )

    async def logs(self, spawner: LabKubeSpawner, tail: int) -> list[str]:
        """The notebook container's last lines; none once the pod is gone (after a stop)."""
        api = self._client(CoreV1Api)
        try:
            text = await self._call(
                "read the server's log",
                api.read_namespaced_pod_log(
                    spawner.pod_name, spawner.namespace, container="notebook", tail_lines=tail
                ),
            )
        except ApiException:  # 404: no pod
            return []
        return text.splitlines()

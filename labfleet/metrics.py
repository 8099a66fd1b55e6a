"""labfleet's own Prometheus metrics, served with JupyterHub's on the hub's /hub/metrics."""

from __future__ import annotations

from collections.abc import Iterator

from jupyterhub.metrics import SERVER_SPAWN_DURATION_SECONDS
from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, Metric

ACTIVE_USERS = Gauge("labfleet_active_users", "Users active in the last round of activity samples.")
RUNNING_SERVERS = Gauge("labfleet_running_servers", "Servers running at the last round.")
BROADCAST_RESULTS = Counter(
    "labfleet_broadcast_deliveries", "Notifications to recipients, by result.", ["result"]
)
OPERATIONS = Counter(
    "labfleet_operations",
    "labfleet's operations on users' resources (restart, volume reset, ...), by kind and result.",
    ["kind", "result"],
)


class SpawnFailures:
    """Servers that failed to start, by backend: what JupyterHub counted as failed spawns
    (its ``server_spawn_duration_seconds`` with status failure or error)."""

    def __init__(self, backend: str):
        self.backend = backend

    def collect(self) -> Iterator[Metric]:
        failed = sum(
            sample.value
            for metric in SERVER_SPAWN_DURATION_SECONDS.collect()
            for sample in metric.samples
            if sample.name.endswith("_count")
            and sample.labels.get("status") in ("failure", "error")
        )
        family = CounterMetricFamily(
            "labfleet_spawn_failures",
            "Servers that failed to start, by backend.",
            labels=["backend"],
        )
        family.add_metric([self.backend], failed)
        yield family


def count_spawn_failures(backend: str) -> None:
    """Add ``labfleet_spawn_failures_total{backend}`` to the hub's metrics (once a process)."""
    REGISTRY.register(SpawnFailures(backend))

"""The hub pod without a cluster: the chart's own configuration, labfleet's values, a stub API.

The values ``labfleet k8s values`` renders are laid out as the chart's config map and Secret
would mount them (``/usr/local/etc/jupyterhub``: the chart's ``jupyterhub_config.py`` and
``z2jh.py``, ``secret/values.yaml``, ``config/<names>``; labfleet.yaml from ``hub.extraFiles``;
the service account's token and CA under ``/var/run/secrets/kubernetes.io/serviceaccount``),
bind-mounted in a private mount namespace of the hub process only, with the environment the
hub pod has (``KUBERNETES_SERVICE_*`` pointing at the recording stub of tests/kube_stub.py,
``POD_NAMESPACE``, ``*_SERVICE_PORT``, ``CONFIGPROXY_AUTH_TOKEN``). The proxy runs apart, as
its own pod would. Service names (hub, proxy-api, proxy-public) resolve to 127.0.0.1 through
the namespace's /etc/hosts.

What the test environment changes in the hub's labfleet.yaml, and why: the hub's address
(``hub_bind_url``: port 8081 on every interface would clash), ``bind_url`` (the proxy's port),
the data directory (a temporary folder) and the database (SQLite in the temporary folder,
``hub.db.type: sqlite-pvc``, instead of PostgreSQL).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from harness import ARTIFACTS, free_port, make_root, run_labfleet, wait_for
from kube_stub import TOKEN, KubeStub

from labfleet.k8s import values as chart_values
from labfleet.k8s.manifests import USER_ANNOTATION, VOLUME_LABEL

CHART_FILES = Path(__file__).parent / "data" / "z2jh" / "hub"  # the chart's own files
NAMESPACE = "labfleet-test"
RELEASE = "labfleet"
USER = "o.brien"
CLAIMS = {v: f"labfleet-o-2ebrien-{v}" for v in ("home", "workspace", "cache")}
BIN = Path(sys.executable).parent

if shutil.which("unshare") is None or os.geteuid() != 0:
    pytest.skip(
        "needs unshare and root (a private mount namespace for the chart's fixed paths)",
        allow_module_level=True,
    )

OPERATOR_FILE = {
    "labfleet": {"backend": "kubernetes"},
    "kubernetes": {"image": "registry.example/lab:1"},
    "environments": {
        "choices": [
            {"name": "lab", "display_name": "Lab"},
            {"name": "big", "display_name": "Big", "image": "registry.example/big:2",
             "mem_limit": "2G"},
        ]
    },
    "spawner": {"storage_capacity": "2Gi"},
}  # fmt: skip


class ChartHub:
    """The hub as its pod runs it, the proxy apart, the stub as the cluster's API."""

    def __init__(self, root: Path):
        self.root = root
        self.token = secrets.token_hex(16)
        self.proxy_token = secrets.token_hex(16)
        self.cookie_secret = secrets.token_hex(32)
        self.crypt_key = secrets.token_hex(32)
        self.public, self.api_port, self.hub_port = free_port(), free_port(), free_port()
        self.pod_port = free_port()
        self.url = f"http://127.0.0.1:{self.public}"
        self.stub = KubeStub(root)
        self.procs: list[subprocess.Popen] = []

    def render(self) -> dict:
        """The values of ``labfleet k8s values`` for the operator's labfleet.yaml."""
        operator = {**OPERATOR_FILE, "spawner": {**OPERATOR_FILE["spawner"], "port": self.pod_port}}
        operator["hub"] = {
            "services": [{"name": "labfleet-tests", "api_token": self.token}],
            "load_roles": [{"name": "admin", "services": ["labfleet-tests"]}],
        }
        (self.root / "labfleet.yaml").write_text(yaml.safe_dump(operator))
        done = run_labfleet("k8s", "values", "--config", str(self.root / "labfleet.yaml"),
                            cwd=self.root)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return yaml.safe_load(done.stdout)

    def lay_out(self, values: dict) -> Path:
        """The files of the config map, the Secret and the service account; the hub's folder."""
        etc = self.root / "usr-local-etc"
        chart = etc / "jupyterhub"
        (chart / "config").mkdir(parents=True)
        (chart / "secret").mkdir()
        for name in ("jupyterhub_config.py", "z2jh.py"):
            shutil.copy(CHART_FILES / name, chart / name)
        for name in ("hub", "proxy-api", "proxy-public", "proxy-http", "singleuser",
                     "image-pull-secret", "user-scheduler", "priority"):  # fmt: skip
            (chart / "config" / name).write_text(name)
        # the test environment's own addresses, data directory and database (module docstring)
        extra = values["hub"]["extraFiles"]["labfleet-yaml"]
        hub_file = yaml.safe_load(extra["stringData"])
        hub_file["hub"].update(
            bind_url=f"http://proxy-public:{self.public}",
            hub_bind_url=f"http://127.0.0.1:{self.hub_port}",
        )
        hub_file["labfleet"].update(
            data_dir=str(self.root / "labfleet-data"), registry=str(self.root / "hubs.json")
        )
        values["hub"]["db"] = {"type": "sqlite-pvc"}
        assert extra["mountPath"].startswith("/usr/local/etc/")
        target = etc / extra["mountPath"].removeprefix("/usr/local/etc/")
        target.parent.mkdir(parents=True)
        target.write_text(yaml.safe_dump(hub_file))
        # the Secret: the values merged over the chart's defaults, as helm renders them
        rendered = chart_values.merged(chart_values.chart_defaults(), values)
        rendered["Chart"] = {"Name": "jupyterhub", "Version": "4.3.1", "AppVersion": "5.5.0"}
        rendered["Release"] = {"Name": RELEASE, "Namespace": NAMESPACE, "Service": "Helm"}
        (chart / "secret" / "values.yaml").write_text(yaml.safe_dump(rendered))
        for key, value in {
            "hub.config.ConfigurableHTTPProxy.auth_token": self.proxy_token,
            "hub.config.JupyterHub.cookie_secret": self.cookie_secret,
            "hub.config.CryptKeeper.keys": self.crypt_key,
        }.items():
            (chart / "secret" / key).write_text(value)
        account = self.root / "run" / "secrets" / "kubernetes.io" / "serviceaccount"
        account.mkdir(parents=True)
        (account / "token").write_text(TOKEN)
        shutil.copy(self.stub.cert, account / "ca.crt")
        (account / "namespace").write_text(NAMESPACE)
        (self.root / "hosts").write_text("127.0.0.1 localhost hub proxy-api proxy-public\n")
        return etc

    def environment(self) -> dict[str, str]:
        """What the hub pod's environment holds (the chart's deployment, Kubernetes' services)."""
        return {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(self.root),
            "PYTHONUNBUFFERED": "1",
            "HELM_RELEASE_NAME": RELEASE,
            "POD_NAMESPACE": NAMESPACE,
            "CONFIGPROXY_AUTH_TOKEN": self.proxy_token,
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(self.stub.port),
            "HUB_SERVICE_HOST": "127.0.0.1",
            "HUB_SERVICE_PORT": str(self.hub_port),
            "PROXY_API_SERVICE_HOST": "127.0.0.1",
            "PROXY_API_SERVICE_PORT": str(self.api_port),
            "PROXY_PUBLIC_SERVICE_HOST": "127.0.0.1",
            "PROXY_PUBLIC_SERVICE_PORT": str(self.public),
        }

    def start(self) -> dict:
        self.stub.start()
        values = self.render()
        etc = self.lay_out(values)
        ARTIFACTS.mkdir(exist_ok=True)
        self.log = ARTIFACTS / f"kubernetes-hub-{self.root.name}.log"
        output = self.log.open("w")
        # the proxy pod, too, reaches the hub by its service name
        hosts = f'mount --bind {self.root / "hosts"} /etc/hosts && exec "$@"'
        self.procs.append(subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", hosts, "sh",
             str(BIN / "configurable-http-proxy"), "--ip=127.0.0.1", f"--port={self.public}",
             "--api-ip=127.0.0.1", f"--api-port={self.api_port}",
             f"--default-target=http://hub:{self.hub_port}",
             f"--error-target=http://hub:{self.hub_port}/hub/error"],
            env={"PATH": os.environ["PATH"], "CONFIGPROXY_AUTH_TOKEN": self.proxy_token},
            stdout=output, stderr=subprocess.STDOUT,
        ))  # fmt: skip
        mounts = (
            f"mount --bind {etc} /usr/local/etc && mount --bind {self.root / 'run'} /run && "
            f'mount --bind {self.root / "hosts"} /etc/hosts && exec "$@"'
        )
        args = values["hub"]["args"]
        self.procs.append(subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts, "sh", *args],
            cwd=self.root, env=self.environment(), stdout=output, stderr=subprocess.STDOUT,
        ))  # fmt: skip

        def up() -> bool:
            if self.procs[-1].poll() is not None:
                raise RuntimeError(f"the hub exited:\n{self.log.read_text()[-4000:]}")
            try:
                return requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(up, 60, "the hub behind the proxy")
        return values

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                timeout=30, **kwargs)  # fmt: skip

    def user_server(self, name: str) -> dict | None:
        return self.api("GET", f"/users/{name}").json()["servers"].get("")


@pytest.fixture(scope="module")
def hub():
    instance = ChartHub(make_root("k8s"))
    try:
        instance.values = instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def spawned(hub):
    """USER's server, started from the environment "big" through the hub's REST API."""
    assert hub.api("POST", f"/users/{USER}").status_code == 201
    started = hub.api("POST", f"/users/{USER}/server", json={"env": "big"})
    assert started.status_code in (201, 202), started.text
    wait_for(lambda: (hub.user_server(USER) or {}).get("ready"), 60, f"{USER}'s server")
    return hub


def test_the_hub_answers_on_its_login_page_with_the_charts_configuration(hub):
    page = requests.get(f"{hub.url}/hub/login", timeout=10)
    assert page.status_code == 200 and 'name="username"' in page.text
    log = hub.log.read_text()
    assert "Loading /usr/local/etc/jupyterhub/secret/values.yaml" in log  # the chart's z2jh.py
    assert "Loading pass-through config section hub.config.JupyterHub" in log


def test_labfleet_runs_with_kubespawner_and_its_features(hub):
    answer = hub.api("GET", "/labfleet/settings")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["backend"] == "kubernetes"
    sections = {s["name"]: s for s in report["sections"]}
    assert sections["kubernetes"]["class"] == "labfleet.backends.kubernetes.KubernetesBackend"
    assert report["config_file"] == "/usr/local/etc/labfleet/labfleet.yaml"
    assert sections["spawner"]["class"] == "labfleet.backends.kubernetes.LabKubeSpawner"
    # labfleet's culler runs as the hub's service, the chart's does not
    services = {s["name"] for s in hub.api("GET", "/services").json().values()}
    assert "labfleet-culler" in services and "jupyterhub-idle-culler" not in services


def test_the_spawn_creates_one_escaped_pvc_per_volume(spawned):
    stub = spawned.stub
    claims = {body["metadata"]["name"]: body for body in stub.posted("persistentvolumeclaims")}
    assert set(claims) == set(CLAIMS.values())
    home = claims[CLAIMS["home"]]
    labels = home["metadata"]["labels"]
    assert labels[VOLUME_LABEL] == "home"
    assert labels["app.kubernetes.io/managed-by"] == "kubespawner"
    assert labels["app.kubernetes.io/instance"] == RELEASE
    assert home["metadata"]["annotations"] == {USER_ANNOTATION: USER}
    assert home["spec"] == {"accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "2Gi"}}}  # fmt: skip
    assert all(r.authorization == f"Bearer {TOKEN}" for r in stub.requests)
    assert all(f"/namespaces/{NAMESPACE}/" in r.path for r in stub.calls("POST", "/"))


def test_the_pod_mounts_the_claims_with_the_environments_image_and_limits(spawned):
    [pod] = spawned.stub.posted("pods")
    spec = pod["spec"]
    [container] = [c for c in spec["containers"] if c["name"] == "notebook"]
    assert container["image"] == "registry.example/big:2"
    assert container["resources"]["limits"]["memory"] == 2 * 1024**3  # 2G, in bytes
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in spec["volumes"] if "persistentVolumeClaim" in v}  # fmt: skip
    assert sorted(claims.values()) == sorted(CLAIMS.values())
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    by_claim = {claim: mounts[name] for name, claim in claims.items()}
    assert by_claim == {
        CLAIMS["home"]: "/home/jovyan",
        CLAIMS["workspace"]: "/home/jovyan/workspace",
        CLAIMS["cache"]: "/home/jovyan/.cache",
    }
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["JUPYTERHUB_USER"] == USER and env["JUPYTERHUB_API_TOKEN"]
    assert env["LABFLEET_NOTIFY_KEY"]  # labfleet's own, for the notifications
    assert env["JUPYTERHUB_API_URL"] == f"http://hub:{spawned.hub_port}/hub/api"
    hub_secrets = {spawned.proxy_token, spawned.cookie_secret, spawned.crypt_key, spawned.token}
    assert not hub_secrets & set(env.values())
    assert not {"CONFIGPROXY_AUTH_TOKEN", "PGPASSWORD", "JUPYTERHUB_CRYPT_KEY"} & set(env)
    assert not [name for name in env if name.startswith(("KUBERNETES_", "PROXY_", "HELM_"))]


def test_logs_come_from_the_pod_and_usage_says_metrics_are_missing(spawned):
    logs = spawned.api("GET", f"/labfleet/users/{USER}/logs", params={"tail": 2})
    assert logs.status_code == 200, logs.text
    pod = spawned.stub.posted("pods")[0]["metadata"]["name"]
    assert logs.json()["lines"] == [f"[stub] line 4 of {pod}", f"[stub] line 5 of {pod}"]
    [call] = spawned.stub.calls("GET", "/log")
    assert call.query == {"container": "notebook", "tailLines": "2"}
    usage = spawned.api("GET", f"/labfleet/users/{USER}/usage")
    assert usage.status_code == 501
    assert "kubernetes backend" in usage.json()["message"]
    assert "metrics API (metrics.k8s.io/v1beta1) is not available" in usage.json()["message"]


def test_restart_in_place_recreates_the_pod_with_the_same_claims(spawned):
    stub = spawned.stub
    restarted = spawned.api("POST", f"/labfleet/users/{USER}/restart")
    assert restarted.status_code == 200, restarted.text
    first, second = stub.posted("pods")
    assert [v for v in second["spec"]["volumes"]] == [v for v in first["spec"]["volumes"]]
    assert len(stub.calls("DELETE", "/pods/")) == 1
    assert stub.calls("DELETE", "/persistentvolumeclaims/") == []
    assert len(stub.posted("persistentvolumeclaims")) == 3  # none made again
    assert spawned.user_server(USER)["ready"]


def test_reset_deletes_the_pvc_only_while_the_server_is_stopped(spawned):
    stub = spawned.stub
    refused = spawned.api("DELETE", f"/labfleet/users/{USER}/volumes", json={"volumes": ["cache"]})
    assert refused.status_code == 409
    assert spawned.api("DELETE", f"/users/{USER}/server").status_code in (202, 204)
    wait_for(lambda: spawned.user_server(USER) is None, 60, f"{USER}'s server to stop")
    reset = spawned.api("DELETE", f"/labfleet/users/{USER}/volumes", json={"volumes": ["cache"]})
    assert reset.status_code == 200, reset.text
    assert [r.path.rsplit("/", 1)[1] for r in stub.calls("DELETE", "/persistentvolumeclaims/")] == [
        CLAIMS["cache"]
    ]
    listed = spawned.api("GET", f"/labfleet/users/{USER}/volumes").json()["volumes"]
    assert {v["name"]: v["exists"] for v in listed} == {"home": True, "workspace": True,
                                                       "cache": False}  # fmt: skip

"""The kubernetes backend's pure builders, the chart's values and `labfleet k8s` (no cluster).

A test against a real cluster runs when KUBECONFIG points at one, and skips otherwise.
"""

from __future__ import annotations

import os

import pytest
import yaml
from harness import run_labfleet

from labfleet.k8s import dockerfiles, manifests, values
from labfleet.profiles import Profile

NAMES = ["alice", "o.brien", "a-b_c@x.org", "Ünïcode", "a-2eb", "a.b", "x" * 80, "x" * 81]


@pytest.mark.parametrize("name", NAMES)
def test_pvc_names_are_escaped_kubernetes_names(name):
    pvc = manifests.resource_name("labfleet-{username}-{volume}", name, volume="workspace")
    assert len(pvc) <= 63 and manifests.DNS_LABEL.fullmatch(pvc)


def test_pvc_names_are_unique_and_as_docker_names_them():
    made = {
        manifests.resource_name("labfleet-{username}-{volume}", n, volume="home") for n in NAMES
    }
    assert len(made) == len(NAMES)
    assert manifests.resource_name("labfleet-{username}-{volume}", "o.brien", volume="home") == (
        "labfleet-o-2ebrien-home"
    )


def test_a_template_that_cannot_make_a_kubernetes_name_is_refused():
    with pytest.raises(ValueError, match="not a Kubernetes name"):
        manifests.resource_name("{username}-{volume}", "Ünïcode", volume="home")


def test_make_pvc():
    assert manifests.make_pvc(
        name="labfleet-o-2ebrien-home",
        username="o.brien",
        volume="home",
        capacity="10Gi",
        access_modes=["ReadWriteOnce"],
        storage_class="fast",
        selector={"matchLabels": {"tier": "ssd"}},
        labels={"app": "jupyterhub"},
    ) == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "labfleet-o-2ebrien-home",
            "labels": {"app": "jupyterhub", "labfleet.io/volume": "home"},
            "annotations": {"labfleet.io/user": "o.brien"},
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
            "storageClassName": "fast",
            "selector": {"matchLabels": {"tier": "ssd"}},
        },
    }


def test_pod_volumes_and_mounts():
    claims = {"workspace": "labfleet-a-workspace", "cache": "labfleet-a-cache"}
    assert manifests.make_volumes(claims) == [
        {
            "name": "labfleet-workspace",
            "persistentVolumeClaim": {"claimName": "labfleet-a-workspace"},
        },
        {"name": "labfleet-cache", "persistentVolumeClaim": {"claimName": "labfleet-a-cache"}},
    ]
    paths = {"workspace": "/home/jovyan/workspace", "cache": "/home/jovyan/.cache"}
    assert manifests.make_volume_mounts(paths) == [
        {"name": "labfleet-workspace", "mountPath": "/home/jovyan/workspace"},
        {"name": "labfleet-cache", "mountPath": "/home/jovyan/.cache"},
    ]


def test_gpu_limits():
    assert manifests.gpu_limits([], 2) == {}
    assert manifests.gpu_limits(["all"], 2) == {"nvidia.com/gpu": "2"}
    assert manifests.gpu_limits(["GPU-1", "GPU-2", "GPU-3"], 1) == {"nvidia.com/gpu": "3"}


@pytest.mark.parametrize(
    "text, number",
    [("250m", 0.25), ("123456789n", 0.123456789), ("1Ki", 1024), ("1.5Gi", 1.5 * 2**30),
     ("1000", 1000), ("2M", 2e6)],
)  # fmt: skip
def test_quantities(text, number):
    assert manifests.parse_quantity(text) == pytest.approx(number)


def test_a_bad_quantity_is_refused():
    with pytest.raises(ValueError):
        manifests.parse_quantity("12 bytes")


def test_images_split_into_name_and_tag():
    assert values.split_image("registry:5000/team/lab:1.2") == ("registry:5000/team/lab", "1.2")
    assert values.split_image("registry:5000/team/lab") == ("registry:5000/team/lab", "latest")
    assert values.split_image("lab") == ("lab", "latest")


def test_the_hub_file_leaves_out_what_the_chart_owns():
    hub, left_out = values.hub_file(
        {
            "labfleet": {"backend": "docker", "data_dir": "./d", "volumes": {"home": {}}},
            "hub": {"bind_url": "http://127.0.0.1:8000", "db_url": "sqlite:///x", "admin_users": ["a"]},
            "proxy": {"auth_token": "t", "trusted_proxies": ["10.0.0.1"]},
            "docker": {"image": "x"},
            "culling": {"idle_timeout": 600},
        }
    )  # fmt: skip
    assert hub == {
        "labfleet": {
            "volumes": {"home": {}},
            "backend": "kubernetes",
            "data_dir": values.DATA_DIR,
            "registry": f"{values.DATA_DIR}/hubs.json",
        },
        "hub": {"admin_users": ["a"], "bind_url": values.PROXY_PUBLIC},
        "culling": {"idle_timeout": 600},
    }
    assert left_out == ["labfleet.backend", "labfleet.data_dir", "hub.bind_url", "hub.db_url",
                        "proxy", "docker"]  # fmt: skip


PROFILES = [
    Profile("lab", "Lab", "Python"),
    Profile("gpu", "GPU", "CUDA", gpu=True, mem_limit="8G", cpu_limit=4, image="reg/gpu:1"),
]


def test_environments_become_kubespawner_profiles():
    assert values.make_profile_list(
        PROFILES, image="reg/lab:1", node_selectors={"gpu": {"nvidia.com/gpu.present": "true"}}
    ) == [
        {"display_name": "Lab", "description": "Python", "slug": "lab", "default": True,
         "kubespawner_override": {"image": "reg/lab:1"}},
        {"display_name": "GPU", "description": "CUDA", "slug": "gpu", "default": False,
         "kubespawner_override": {"image": "reg/gpu:1", "mem_limit": "8G", "cpu_limit": 4,
                                  "node_selector": {"nvidia.com/gpu.present": "true"}}},
    ]  # fmt: skip


def made_values() -> dict:
    return values.make_values(
        hub_image="reg/labfleet-hub:0.1",
        user_image="reg/lab:1",
        hub_file_text="labfleet: {backend: kubernetes}\n",
        db_url="postgresql://lf:pw@db:5432/lf",
        home_mount="/home/jovyan",
        profile_list=values.make_profile_list(PROFILES, image="reg/lab:1", node_selectors={}),
        prepull=["reg/gpu:1", "reg/lab:1"],
        base_url="/lab/",
        storage_capacity="5Gi",
        storage_class="fast",
    )


def test_make_values():
    assert made_values() == {
        "hub": {
            "image": {"name": "reg/labfleet-hub", "tag": "0.1"},
            "args": ["labfleet", "up", "--config", "/usr/local/etc/labfleet/labfleet.yaml",
                     "--jupyterhub-config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"],
            "config": {"JupyterHub": {
                "authenticator_class": "labfleet.auth.authenticator.LabFleetAuthenticator",
                "spawner_class": "labfleet.backends.kubernetes.LabKubeSpawner"}},
            "db": {"type": "postgres", "url": "postgresql://lf:pw@db:5432/lf"},
            "extraFiles": {"labfleet-yaml": {"mountPath": "/usr/local/etc/labfleet/labfleet.yaml",
                                             "stringData": "labfleet: {backend: kubernetes}\n"}},
            "baseUrl": "/lab/",
        },
        "singleuser": {
            "image": {"name": "reg/lab", "tag": "1"},
            "storage": {"type": "dynamic", "homeMountPath": "/home/jovyan", "capacity": "5Gi",
                        "dynamic": {"storageClass": "fast"}},
            "profileList": values.make_profile_list(PROFILES, image="reg/lab:1", node_selectors={}),
        },
        "cull": {"enabled": False},
        "prePuller": {"extraImages": {"labfleet-0": {"name": "reg/gpu", "tag": "1"}}},
    }  # fmt: skip


def test_the_values_pass_the_charts_schema():
    assert values.problems(made_values(), values.chart_defaults(), values.chart_schema()) == []


def test_the_schema_check_names_the_key():
    bad = made_values()
    bad["singleuser"]["storage"]["type"] = "bucket"
    bad["hub"]["extraFiles"]["labfleet-yaml"].pop("mountPath")
    found = values.problems(bad, values.chart_defaults(), values.chart_schema())
    assert any(p.startswith("singleuser.storage.type: 'bucket'") for p in found), found
    assert any(p.startswith("hub.extraFiles.labfleet-yaml: 'mountPath'") for p in found), found


def test_helm_merges_null_away():
    assert values.merged({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"c": None, "e": 4}, "d": [1]}) == {
        "a": {"b": 1, "e": 4},
        "d": [1],
    }


def test_dockerfiles():
    assert dockerfiles.make_hub_dockerfile(package="labfleet==0.1.0") == (
        "FROM python:3.11-slim\n"
        "RUN useradd --create-home --uid 1000 --user-group jovyan \\\n"
        "    && mkdir -p /srv/jupyterhub && chown jovyan:jovyan /srv/jupyterhub\n"
        "WORKDIR /srv/jupyterhub\n"
        'RUN pip install --no-cache-dir "labfleet[kubernetes,postgres]==0.1.0"\n'
        "USER jovyan\n"
        "EXPOSE 8081\n"
        'CMD ["labfleet", "up"]\n'
    )
    assert dockerfiles.make_user_dockerfile(package="labfleet-0.1.0-py3-none-any.whl") == (
        "FROM quay.io/jupyter/base-notebook:latest\n"
        "COPY labfleet-0.1.0-py3-none-any.whl ./\n"
        'RUN pip install --no-cache-dir "./labfleet-0.1.0-py3-none-any.whl"\n'
    )


# -- the command ---------------------------------------------------------------------------


@pytest.mark.slow
def test_values_command_renders_valid_values(tmp_path):
    (tmp_path / "labfleet.yaml").write_text(yaml.safe_dump({
        "labfleet": {"backend": "local", "data_dir": "./data"},
        "hub": {"bind_url": "http://127.0.0.1:8000"},
        "local": {"account_prefix": "lf-"},
        "environments": {"choices": [{"name": "lab", "display_name": "Lab"},
                                     {"name": "big", "display_name": "Big", "image": "reg/big:2"}]},
        "kubernetes": {"image": "reg/lab:1"},
        "spawner": {"storage_capacity": "5Gi"},
    }))  # fmt: skip
    done = run_labfleet("k8s", "values", "--output", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "values.yaml").stat().st_mode & 0o777 == 0o600
    text = (tmp_path / "values.yaml").read_text()
    assert "# note: labfleet.yaml has no hub.db_url: SQLite does not survive the hub pod" in text
    assert (
        "# note: left out of the hub's labfleet.yaml (the chart sets them): hub.bind_url, "
        "labfleet.backend, labfleet.data_dir, local\n" in text
    )
    made = yaml.safe_load(text)
    hub_file = yaml.safe_load(made["hub"]["extraFiles"]["labfleet-yaml"]["stringData"])
    assert hub_file["labfleet"]["backend"] == "kubernetes" and "local" not in hub_file
    assert made["singleuser"]["storage"]["capacity"] == "5Gi"
    assert made["prePuller"]["extraImages"] == {"labfleet-0": {"name": "reg/big", "tag": "2"}}
    assert values.problems(made, values.chart_defaults(), values.chart_schema()) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "content, expected",
    [
        ({"environments": {"choices": [{"name": "Bad Name"}]}},
         "key 'environments.choices': [0] name 'Bad Name'"),
        ({"kubernetes": {"imag": "x"}}, "unknown key 'kubernetes.imag': did you mean kubernetes.image"),
        # a value the chart's schema refuses: named with its key
        ({"kubernetes": {"home_mount": 5}}, "key 'kubernetes.home_mount': 5 is not of type"),
    ],
)  # fmt: skip
def test_values_command_refuses_bad_input_with_the_key(tmp_path, content, expected):
    (tmp_path / "labfleet.yaml").write_text(yaml.safe_dump(content))
    done = run_labfleet("k8s", "values", cwd=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.slow
def test_values_command_needs_an_existing_config(tmp_path):
    done = run_labfleet("k8s", "values", "--config", "nowhere.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "nowhere.yaml does not exist" in done.stderr


@pytest.mark.slow
def test_dockerfiles_command(tmp_path):
    wheel = tmp_path / "labfleet-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    done = run_labfleet("k8s", "dockerfiles", "images", "--package", str(wheel), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("hub", "user"):
        assert (tmp_path / "images" / name / wheel.name).read_bytes() == b"not really a wheel"
        assert (
            "COPY labfleet-0.1.0-py3-none-any.whl ./"
            in (tmp_path / "images" / name / "Dockerfile").read_text()
        )
    assert "docker build -t labfleet-hub:latest" in done.stdout
    again = run_labfleet("k8s", "dockerfiles", "images", cwd=tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr


# -- a real cluster --------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"), reason="KUBECONFIG does not point at a cluster"
)
def test_a_pvc_made_by_the_builder_is_accepted_by_the_cluster():
    import asyncio
    import secrets

    from kubernetes_asyncio import client, config

    async def roundtrip() -> None:
        await config.load_kube_config()
        async with client.ApiClient() as api_client:
            api = client.CoreV1Api(api_client)
            name = manifests.resource_name(
                "labfleet-test-{username}-{volume}", f"o.brien{secrets.token_hex(2)}", volume="home"
            )
            body = manifests.make_pvc(name=name, username="o.brien", volume="home",
                                      capacity="1Mi", access_modes=["ReadWriteOnce"])  # fmt: skip
            namespace = os.environ.get("LABFLEET_TEST_NAMESPACE", "default")
            made = await asyncio.wait_for(
                api.create_namespaced_persistent_volume_claim(namespace, body), 30
            )
            try:
                assert made.metadata.annotations["labfleet.io/user"] == "o.brien"
            finally:
                await asyncio.wait_for(
                    api.delete_namespaced_persistent_volume_claim(name, namespace), 30
                )

    asyncio.run(roundtrip())

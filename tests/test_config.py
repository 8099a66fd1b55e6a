"""labfleet.yaml: bad files stop start-up with a clear message; `labfleet config` edits safely."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
import yaml
from harness import LABFLEET, run_labfleet


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            {"labfleet": {"backend": "dockr"}},
            ["key 'labfleet.backend'", "'dockr'", "allowed values: local, docker"],
        ),
        ({"labfleet": {"data_dri": "x"}}, ["unknown key 'labfleet.data_dri'", "labfleet.data_dir"]),
        ({"hub": {"prot": 8000}}, ["unknown key 'hub.prot'", "did you mean", "hub.port"]),
        ({"spawner": {"start_timeout": "soon"}}, ["key 'spawner.start_timeout'", "integer"]),
        ({"dockre": {}}, ["unknown key 'dockre'", "docker"]),
    ],
)
def test_bad_config_stops_startup_naming_key_file_and_allowed(tmp_path, content, expected):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(content))
    result = run_labfleet("up", "--config", str(config), cwd=tmp_path)
    assert result.returncode != 0
    assert str(config) in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert not (tmp_path / "labfleet-data").exists()


def test_missing_config_file_is_an_error(tmp_path):
    result = run_labfleet("up", "--config", "nowhere.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert f"{tmp_path / 'nowhere.yaml'} does not exist (given with --config" in result.stderr


def test_invalid_yaml_is_reported(tmp_path):
    (tmp_path / "labfleet.yaml").write_text("labfleet: [unclosed\n")
    result = run_labfleet("config", "validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


def test_config_set_unset_show_validate(tmp_path):
    assert run_labfleet("config", "set", "labfleet.backend", "docker", cwd=tmp_path).returncode == 0
    assert (
        run_labfleet("config", "set", "spawner.start_timeout", "120", cwd=tmp_path).returncode == 0
    )
    data = yaml.safe_load((tmp_path / "labfleet.yaml").read_text())
    assert data == {"labfleet": {"backend": "docker"}, "spawner": {"start_timeout": 120}}
    shown = run_labfleet("config", "show", cwd=tmp_path)
    assert "backend: docker" in shown.stdout
    assert run_labfleet("config", "validate", cwd=tmp_path).stdout.strip().endswith("valid")

    refused = run_labfleet("config", "set", "labfleet.backend", "podman", cwd=tmp_path)
    assert refused.returncode == 2
    assert "allowed values: local, docker" in refused.stderr
    # a refused edit leaves the file as it was
    assert yaml.safe_load((tmp_path / "labfleet.yaml").read_text()) == data

    assert run_labfleet("config", "unset", "spawner.start_timeout", cwd=tmp_path).returncode == 0
    assert yaml.safe_load((tmp_path / "labfleet.yaml").read_text()) == {
        "labfleet": {"backend": "docker"}
    }
    missing = run_labfleet("config", "unset", "spawner.start_timeout", cwd=tmp_path)
    assert missing.returncode == 2 and "is not set" in missing.stderr


def test_config_keys_follow_the_backend(tmp_path):
    local_keys = run_labfleet("config", "keys", cwd=tmp_path).stdout
    assert "local.account_prefix" in local_keys and "spawner.image " not in local_keys
    run_labfleet("config", "set", "labfleet.backend", "docker", cwd=tmp_path)
    docker_keys = run_labfleet("config", "keys", cwd=tmp_path).stdout
    assert "spawner.image " in docker_keys and "docker.volume_name_template" in docker_keys


def test_secrets_are_written_readable_by_the_owner_only(tmp_path):
    """labfleet.yaml may hold the proxy's token or a database password: never mode 0644."""
    path = tmp_path / "labfleet.yaml"
    path.write_text("hub: {}\n")
    path.chmod(0o644)
    doctor = run_labfleet("doctor", cwd=tmp_path)
    assert "holds secrets" not in doctor.stdout  # nothing secret in it yet
    done = run_labfleet("config", "set", "hub.proxy_auth_token", "s3cret-token", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # a file made readable by hand is reported, with the fix
    path.chmod(0o644)
    doctor = run_labfleet("doctor", cwd=tmp_path)
    assert doctor.returncode == 1
    assert "holds secrets (hub.proxy_auth_token) and other accounts can read it" in doctor.stdout
    assert f"fix: chmod 600 {path}" in doctor.stdout


def test_config_set_says_what_the_change_needs(tmp_path):
    hub_wide = run_labfleet("config", "set", "hub.bind_url", "http://127.0.0.1:8123", cwd=tmp_path)
    assert "Applies once the hub restarts" in hub_wide.stdout
    assert "servers keep running" in hub_wide.stdout and "next start" not in hub_wide.stdout
    per_server = run_labfleet("config", "set", "spawner.start_timeout", "90", cwd=tmp_path)
    assert "to each server at its next start" in per_server.stdout


def test_commands_find_the_hub_from_another_folder(tmp_path):
    home = tmp_path / "srv"
    home.mkdir()
    (home / "labfleet.yaml").write_text("labfleet: {data_dir: lab-data}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    named = run_labfleet("doctor", "--config", str(home / "labfleet.yaml"), cwd=elsewhere)
    # a relative data directory is the configuration's, wherever the command runs
    assert (
        f"Configuration {home / 'labfleet.yaml'}; data directory {home / 'lab-data'}"
        in named.stdout
    )
    env = {**os.environ, "LABFLEET_CONFIG": str(home / "labfleet.yaml")}
    found = subprocess.run([LABFLEET, "doctor"], cwd=elsewhere, env=env, capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert f"data directory {home / 'lab-data'}" in found.stdout


def test_a_start_in_the_wrong_folder_finds_the_real_hub(tmp_path):
    registry = tmp_path / "hubs.json"
    hub_home = tmp_path / "srv"
    (hub_home / "lab-data" / "hub").mkdir(parents=True)
    registry.write_text(json.dumps([
        {"data_dir": str(hub_home / "lab-data"), "config": str(hub_home / "labfleet.yaml")}
    ]))  # fmt: skip
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    env = {**os.environ, "LABFLEET_REGISTRY": str(registry)}
    started = subprocess.run([LABFLEET, "up"], cwd=wrong, env=env, capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert started.returncode == 1
    assert "there is no hub here" in started.stderr and str(hub_home / "lab-data") in started.stderr
    assert "labfleet up --new" in started.stderr
    assert list(wrong.iterdir()) == []  # no second hub, no second admin

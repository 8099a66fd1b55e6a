"""labfleet.yaml: bad files stop start-up with a clear message; `labfleet config` edits safely."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from harness import LABFLEET, run_labfleet


@pytest.mark.slow
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


@pytest.mark.slow
def test_missing_config_file_is_an_error(tmp_path):
    result = run_labfleet("up", "--config", "nowhere.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert f"{tmp_path / 'nowhere.yaml'} does not exist (given with --config" in result.stderr


@pytest.mark.slow
def test_invalid_yaml_is_reported(tmp_path):
    (tmp_path / "labfleet.yaml").write_text("labfleet: [unclosed\n")
    result = run_labfleet("config", "validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("config", "validate", "--config", "{file}"),
        ("config", "--config", "{file}", "validate"),
        ("config", "-f", "{file}", "validate"),
        ("config", "validate", "-f", "{file}"),
    ],
)
def test_the_config_option_comes_before_or_after_the_subcommand(tmp_path, args):
    elsewhere = tmp_path / "srv" / "labfleet.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("hub: {port: 8123}\n")
    result = run_labfleet(*(a.format(file=elsewhere) for a in args), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{elsewhere}: valid"


@pytest.mark.slow
def test_commands_on_the_hubs_machine_take_the_config_option_at_either_level(tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "labfleet.yaml").write_text("labfleet: {data_dir: lab-data}\n")
    database = tmp_path / "srv" / "lab-data" / "hub" / "labfleet.sqlite"
    for args in (("users", "--config", "srv/labfleet.yaml", "unlock", "nobody"),
                 ("users", "reset-password", "admin", "-f", "srv/labfleet.yaml")):  # fmt: skip
        result = run_labfleet(*args, cwd=tmp_path)
        # the configuration given, wherever the option stands; no hub there yet: said plainly
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"labfleet: there is no hub database at {database}: give the hub's labfleet.yaml "
            "with --config (and --data-dir if it has one elsewhere)\n"
        )


@pytest.mark.slow
def test_config_keys_follow_the_backend(tmp_path):
    local_keys = run_labfleet("config", "keys", cwd=tmp_path).stdout
    assert "local.account_prefix" in local_keys and "spawner.image " not in local_keys
    run_labfleet("config", "set", "labfleet.backend", "docker", cwd=tmp_path)
    docker_keys = run_labfleet("config", "keys", cwd=tmp_path).stdout
    assert "spawner.image " in docker_keys and "docker.volume_name_template" in docker_keys


@pytest.mark.slow
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


@pytest.mark.slow
def test_config_set_says_what_the_change_needs(tmp_path):
    hub_wide = run_labfleet("config", "set", "hub.bind_url", "http://127.0.0.1:8123", cwd=tmp_path)
    assert "Applies once the hub restarts" in hub_wide.stdout
    assert "servers keep running" in hub_wide.stdout and "next start" not in hub_wide.stdout
    per_server = run_labfleet("config", "set", "spawner.start_timeout", "90", cwd=tmp_path)
    assert "to each server at its next start" in per_server.stdout


@pytest.mark.slow
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


@pytest.mark.slow
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


# -- every value is checked the way the hub takes it ------------------------------------------

# labfleet's checks of JupyterHub's own addresses (plain strings to JupyterHub) and of the
# settings that are structures: a bad value of each
BAD_VALUES = {
    "hub.bind_url": "localhost:8000",
    "hub.public_url": "https://hub example.org",
    "hub.subdomain_host": "https://hub.example.org:port",
    "labfleet.volumes": {"work": {"mount": "work"}},  # no home
    "environments.choices": [{"name": "big", "mem_limit": "2 GB"}],
    "groups.properties": {"course": {"cpu_limit": 0}},
}
# defaults their own (upstream) traits refuse
REFUSED_DEFAULTS = {"hub.proxy_cmd", "spawner.post_start_cmd"}


def settings_of(backend: str):
    """(key, trait the value meets, section) of every setting labfleet.yaml may hold."""
    from labfleet import settings
    from labfleet.app import LabFleet

    sections = LabFleet.section_table().sections(backend)
    for section in sections:
        cls = settings.configured_class(section, sections)
        for name in settings.build_schema([section])["properties"][section.name]["properties"]:
            yield f"{section.name}.{name}", cls.class_traits()[name], section


def bad_values(key: str, trait) -> list:
    """Values of the setting's type (the schema takes them) that the hub cannot use."""
    from traitlets import Float, Integer

    from labfleet.traitlets import Cpus, Size, Url

    if key in BAD_VALUES:
        return [BAD_VALUES[key]]
    if isinstance(trait, Size):
        return ["2 GB", -1, "1K" if trait.minimum else True]
    if isinstance(trait, Cpus):
        return [0, -1.5]
    if isinstance(trait, Url):
        return ["localhost:8000"]
    if isinstance(trait, (Integer, Float)):
        low, high = trait.min, trait.max
        bounded = [(low, -1), (high, 1)]
        return [bound + step for bound, step in bounded if bound is not None and abs(bound) < 1e18]
    return []


def refusal(backend: str, key: str, value) -> str | None:
    from labfleet import settings
    from labfleet.app import LabFleet

    section, name = key.split(".", 1)
    data = {"labfleet": {"backend": backend}}
    data.setdefault(section, {})[name] = value
    try:
        settings.validate(data, Path("labfleet.yaml"), LabFleet.section_table())
    except settings.ConfigError as e:
        return str(e)
    return None


def test_every_setting_refuses_a_bad_value_of_its_type():
    """Each setting's bad values (a size "2 GB", 0 CPUs, a number out of its bounds, a URL
    without its scheme ...) are refused naming the key, before the hub ever meets them."""
    walked, covered, accepted = set(), set(), []
    for backend in ("local", "docker", "kubernetes"):
        for key, trait, _ in settings_of(backend):
            if (backend, key) in walked:
                continue
            walked.add((backend, key))
            for value in bad_values(key, trait):
                covered.add(key)
                refused = refusal(backend, key, value)
                if refused is None or f"key '{key}'" not in refused:
                    accepted.append((backend, key, value, refused))
    assert not accepted
    sizes_cpus_urls = {
        "spawner.mem_limit", "spawner.cpu_limit", "spawner.mem_guarantee", "local.tmp_size",
        "proxy.max_request_body", "docker.engine_url", "https.acme_directory",
        "notifications.timeout", "docker.engine_timeout",
    }  # fmt: skip
    assert sizes_cpus_urls | set(BAD_VALUES) <= covered


def test_every_setting_takes_its_default():
    """The checks refuse nothing a setting holds by default (made without the hub)."""
    from labfleet import settings
    from labfleet.app import LabFleet

    for backend in ("local", "docker", "kubernetes"):
        data: dict = {"labfleet": {"backend": backend}}
        for key, trait, _ in settings_of(backend):
            try:
                value = trait.default()
                json.dumps(value)
            except Exception:  # a default computed for each hub, or not one YAML can hold
                continue
            if key not in REFUSED_DEFAULTS and (value is not None or trait.allow_none):
                section, name = key.split(".", 1)
                data.setdefault(section, {}).setdefault(name, value)
        settings.validate(data, Path("labfleet.yaml"), LabFleet.section_table())


@pytest.mark.slow
def test_a_typo_in_a_limit_is_refused_by_set_validate_doctor_and_the_start(tmp_path):
    """`config set spawner.mem_limit "2 GB"` once passed every check and then every login
    answered 500: each now refuses it, with the words of the Groups page."""
    from labfleet.groups import Rules, check_properties

    rules = Rules((), (), True, "local", "docker-sock")
    with pytest.raises(ValueError) as on_groups_page:
        check_properties("course", {"mem_limit": "2 GB"}, rules)
    words = "'2 GB' is not a size of at least 64M, such as 512M, 2G or 1.5G"
    assert f"mem_limit {words}" in str(on_groups_page.value)
    message = f"key 'spawner.mem_limit': {words}"

    config = tmp_path / "labfleet.yaml"
    assert run_labfleet("config", "set", "spawner.start_timeout", "9", cwd=tmp_path).returncode == 0
    kept = config.read_text()
    refused = run_labfleet("config", "set", "spawner.mem_limit", "2 GB", cwd=tmp_path)
    assert refused.returncode == 2 and message in refused.stderr, refused.stderr
    assert config.read_text() == kept  # nothing written
    assert run_labfleet("config", "set", "spawner.mem_limit", "2G", cwd=tmp_path).returncode == 0

    # written by hand: every command that reads the file names it
    config.write_text("spawner: {mem_limit: 2 GB, cpu_limit: 0}\n")
    for command in (("config", "validate"), ("doctor",), ("up",)):
        done = run_labfleet(*command, cwd=tmp_path)
        assert done.returncode != 0, command
        assert message in done.stderr, (command, done.stderr)
        assert "key 'spawner.cpu_limit': 0 is not a number of CPUs above 0" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "labfleet-data").exists()

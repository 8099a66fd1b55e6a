"""`labfleet doctor` finds what stops a hub and says how to fix it."""

from __future__ import annotations

import socket

import pytest
import yaml
from harness import free_port, make_root, run_labfleet

pytestmark = pytest.mark.slow  # every test runs the labfleet command


def test_doctor_passes_on_a_good_environment():
    root = make_root("doctor")
    # the default settings but the port (another hub may hold 8000 on this machine)
    settings = {"hub": {"bind_url": f"http://127.0.0.1:{free_port()}"}}
    (root / "labfleet.yaml").write_text(yaml.safe_dump(settings))
    result = run_labfleet("doctor", cwd=root)
    assert result.returncode == 0, result.stdout
    assert "All checks passed for the local backend" in result.stdout


def test_doctor_reports_a_busy_port_and_the_fix(tmp_path):
    port = free_port()
    (tmp_path / "labfleet.yaml").write_text(
        yaml.safe_dump({"hub": {"bind_url": f"http://127.0.0.1:{port}"}})
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = run_labfleet("doctor", cwd=tmp_path)
    assert result.returncode == 1
    assert f"public port 127.0.0.1:{port} is not free" in result.stdout
    assert "fix:" in result.stdout


def test_doctor_reports_an_unreachable_docker_engine(tmp_path):
    (tmp_path / "labfleet.yaml").write_text(
        yaml.safe_dump(
            {
                "labfleet": {"backend": "docker"},
                "docker": {"engine_url": f"unix://{tmp_path}/no-docker.sock", "engine_timeout": 2},
            }
        )
    )
    result = run_labfleet("doctor", cwd=tmp_path)
    assert result.returncode == 1
    assert "the Docker engine is not reachable" in result.stdout
    assert "start-dockerd.sh" in result.stdout


def test_doctor_reports_a_missing_proxy(tmp_path):
    (tmp_path / "labfleet.yaml").write_text(
        yaml.safe_dump({"proxy": {"command": ["/nonexistent/caddy"]}})
    )
    result = run_labfleet("doctor", cwd=tmp_path)
    assert result.returncode == 1
    assert "the proxy's binary /nonexistent/caddy is not found" in result.stdout


def test_doctor_reports_the_domain_and_the_ports_of_https(tmp_path):
    https_port, http_port = free_port(), free_port()
    domain = "hub.labfleet.invalid"  # a name that never resolves
    (tmp_path / "labfleet.yaml").write_text(
        yaml.safe_dump({"https": {"domain": domain, "port": https_port, "http_port": http_port}})
    )
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", http_port))
        busy.listen()
        result = run_labfleet("doctor", cwd=tmp_path)
    assert result.returncode == 1
    assert f"https.domain {domain} resolves to nothing; HTTPS on port {https_port}" in result.stdout
    assert f"problem: https.domain {domain} does not resolve" in result.stdout
    assert f"the plain HTTP (ACME) port 0.0.0.0:{http_port} is not free" in result.stdout
    assert f"the HTTPS port 0.0.0.0:{https_port}" not in result.stdout

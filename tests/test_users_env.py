"""The users' Python environment (local backend): servers and kernels run from it, apart
from the hub's; `labfleet env install` adds a package for every new server."""

from __future__ import annotations

import subprocess
import sys

from harness import run_in_kernel, run_labfleet, user_token

PACKAGE = "pyjokes"  # small, pure Python, and not among labfleet's dependencies


def test_an_installed_package_is_importable_in_a_new_server(hub):
    hub_has_it = subprocess.run([sys.executable, "-c", f"import {PACKAGE}"], capture_output=True)
    assert hub_has_it.returncode != 0, f"{PACKAGE} must not be in the hub's environment"
    installed = run_labfleet(
        "env", "install", PACKAGE, "--config", str(hub.config_path), cwd=hub.root
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = run_labfleet("env", "list", "--config", str(hub.config_path), cwd=hub.root)
    assert listed.returncode == 0 and PACKAGE in listed.stdout
    assert "jupyterlab" not in listed.stdout  # the hub's packages are not the users' own
    # the hub's environment is untouched
    assert subprocess.run([sys.executable, "-c", f"import {PACKAGE}"]).returncode != 0

    hub.create_user("ula")
    hub.spawn("ula")
    token = user_token(hub, "ula")
    printed = run_in_kernel(
        hub,
        "ula",
        f"import sys, {PACKAGE}; print(sys.executable); print({PACKAGE}.__name__)",
        token,
    )
    executable, name = printed.split()
    assert executable == str(hub.data_dir / "users-env" / "bin" / "python")
    assert name == PACKAGE
    hub.stop_server("ula")

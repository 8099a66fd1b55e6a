"""labfleet's launcher of users' servers (python -m labfleet.singleuser), and the import
every labfleet process leaves out."""

from __future__ import annotations

import subprocess
import sys

from labfleet.backends.local import LocalBackend
from labfleet.backends.local_spawner import LocalBackendSpawner


def imported(*command: str) -> set[str]:
    """The modules a command imports (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}


def test_the_launcher_starts_the_server_without_building_grammars():
    stock = imported("-m", "jupyterhub.singleuser", "--help-all")
    launched = imported("-m", "labfleet.singleuser", "--help-all")
    # the same server: jupyter_server and JupyterHub's single-user app are loaded
    assert {"jupyter_server.serverapp", "jupyterhub.singleuser"} <= launched
    # what rfc3987_syntax builds at import (its Lark grammars) stays out
    assert "lark" in stock and "lark" not in launched


def test_the_hub_and_the_cli_leave_the_grammars_out_too():
    stock = imported("-m", "jupyterhub", "--help-all")
    hub = imported("-m", "labfleet.cli", "config", "keys")  # reads the settings of the hub
    assert {"jupyterhub.app", "jupyter_events"} <= hub
    assert "lark" in stock and "lark" not in hub


def test_local_servers_start_through_the_launcher_from_the_users_environment(tmp_path):
    class Spawner(LocalBackendSpawner):
        backend = LocalBackend(data_dir=tmp_path)

    command = Spawner._cmd_default(object.__new__(Spawner))
    assert command == [str(tmp_path / "users-env" / "bin" / "python"), "-m", "labfleet.singleuser"]
    # the users' interpreter has the hub's packages (after its own): the launcher runs there
    found = subprocess.run([command[0], "-c", "import labfleet.singleuser, jupyterlab"])
    assert found.returncode == 0

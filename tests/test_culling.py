"""Idle culling: a short timeout stops an idle server; extensions survive a hub restart."""

from __future__ import annotations

import pytest
from harness import panel, wait_for

IDLE_TIMEOUT = 20
HUB_CONFIG = {
    "culling": {"idle_timeout": IDLE_TIMEOUT, "every": 2, "max_extension_hours": 2},
    # servers outlive a hub restart, as they do in production
    "hub": {"cleanup_servers": False},
}


def test_an_idle_server_is_culled_after_its_timeout(hub):
    hub.create_user("idle")
    hub.spawn("idle")
    session = panel(hub, "GET", "idle", "session").json()
    assert session["seconds_left"] <= IDLE_TIMEOUT
    assert session["warning"] is True  # under 10 minutes left
    wait_for(
        lambda: not hub.user("idle")["servers"], IDLE_TIMEOUT + 30, "the culler to stop the server"
    )
    assert not panel(hub, "GET", "idle", "session").json()["running"]
    assert any(
        "labfleet-culler" in line and "DELETE /hub/api/users/idle/server" in line
        for line in hub.output
    )


def test_an_extended_session_is_not_culled_and_survives_a_hub_restart(hub):
    hub.create_user("busy")
    hub.spawn("busy")
    extended = panel(hub, "POST", "busy", "session/extend", json={"hours": 1}).json()
    assert extended["extended_hours"] == 1 and extended["seconds_left"] > 3600
    hub.restart()
    after = panel(hub, "GET", "busy", "session").json()
    assert after["running"] is True
    assert after["extended_hours"] == 1 and after["hours_addable"] == 1
    assert after["deadline"] == extended["deadline"]
    assert hub.query("select hours from labfleet_session_extensions where username = 'busy'") == [
        (1,)
    ]
    # well past the idle timeout, the extended server still runs
    with pytest.raises(TimeoutError):
        wait_for(lambda: not hub.user("busy")["servers"], IDLE_TIMEOUT + 6, "a wrong cull")
    hub.stop_server("busy")

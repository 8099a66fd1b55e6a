"""Fixtures: real labfleet hubs, shared across the tests of a module."""

from __future__ import annotations

import os

import pytest

from harness import Hub, make_root, remove_test_accounts


@pytest.fixture(scope="session", autouse=True)
def _test_accounts():
    """Remove the system accounts that the test hubs made, before and after the run."""
    if os.geteuid() == 0:
        remove_test_accounts()
    yield
    if os.geteuid() == 0:
        remove_test_accounts()


@pytest.fixture(scope="module")
def hub(request):
    """A running hub for the whole module; ``HUB_CONFIG`` in the module adds settings."""
    config = getattr(request.module, "HUB_CONFIG", None)
    instance = Hub(make_root(request.module.__name__), config, name=request.module.__name__)
    instance.start()
    yield instance
    instance.cleanup()

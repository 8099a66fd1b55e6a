"""The OpenAPI description and the served routes agree, scopes included."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import labfleet
from labfleet.apihandlers import default_handlers
from labfleet.authz import declared_scopes

SPEC = yaml.safe_load((Path(labfleet.__file__).parent / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def served() -> dict[str, dict[str, list[str]]]:
    """path -> {method: scopes}, as the hub's handlers declare them."""
    routes = {}
    for pattern, handler, *_ in default_handlers:
        path = re.sub(r"\(\[\^/\]\+\)", "{name}", pattern.removeprefix("/api/labfleet"))
        path = path.replace("([0-9]+)", "{id}")
        routes[path] = {
            method: list(declared_scopes(getattr(handler, method)) or ())
            for method in METHODS
            if declared_scopes(getattr(handler, method)) is not None
        }
    return routes


def documented() -> dict[str, dict[str, list[str]]]:
    return {
        path: {method: op["x-scopes"] for method, op in item.items() if method in METHODS}
        for path, item in SPEC["paths"].items()
    }


def test_every_served_route_is_documented_with_its_scopes():
    assert served() == documented()


def test_the_spec_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(SPEC)

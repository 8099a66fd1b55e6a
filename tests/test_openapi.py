"""The OpenAPI description and the served routes agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import labfleet
from labfleet.apihandlers import default_handlers
from labfleet.apihandlers.base import LabFleetAPIHandler

SPEC = yaml.safe_load((Path(labfleet.__file__).parent / "openapi.yaml").read_text())
METHODS = {"get", "post", "put", "patch", "delete"}


def served() -> dict[str, dict[str, str]]:
    """path -> {method: scope} from the handlers the hub serves."""
    routes = {}
    for pattern, handler, *_ in default_handlers:
        path = re.sub(r"\(\[\^/\]\+\)", "{name}", pattern.removeprefix("/api/labfleet"))
        methods = set()
        for cls in handler.__mro__[: handler.__mro__.index(LabFleetAPIHandler)]:
            methods |= METHODS & set(vars(cls))
        routes[path] = {method: handler.scope for method in methods}
    return routes


def documented() -> dict[str, dict[str, str]]:
    return {
        path: {method: op["x-scope"] for method, op in item.items() if method in METHODS}
        for path, item in SPEC["paths"].items()
    }


def test_every_served_route_is_documented_with_its_scope():
    assert served() == documented()


def test_the_spec_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(SPEC)

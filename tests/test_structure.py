"""The code keeps its shape: every route declares who may call it; no large import circles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import labfleet
from labfleet import apihandlers, handlers
from labfleet.auth import pages
from labfleet.authz import declared_scopes

PACKAGE = Path(labfleet.__file__).parent
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
MAX_CIRCLE = 3


def routes() -> list[tuple[str, type]]:
    served = [
        *apihandlers.default_handlers,
        *apihandlers.hub_overrides,
        *handlers.default_handlers,
        *pages.default_handlers,
    ]
    return [(pattern, handler) for pattern, handler, *_ in served]


def labfleet_methods(handler: type) -> list[tuple[str, object]]:
    """The HTTP methods of ``handler`` that labfleet's code defines (not JupyterHub's)."""
    found = []
    for name in HTTP_METHODS:
        owner = next((cls for cls in handler.__mro__ if name in vars(cls)), None)
        if owner is not None and owner.__module__.split(".")[0] == "labfleet":
            found.append((name, vars(owner)[name]))
    return found


@pytest.mark.parametrize("pattern, handler", routes(), ids=[p for p, _ in routes()])
def test_every_route_method_declares_who_may_call_it(pattern, handler):
    undeclared = [
        name for name, method in labfleet_methods(handler) if declared_scopes(method) is None
    ]
    assert undeclared == [], f"{handler.__name__} ({pattern}): no @needs_scope or @public"


def test_the_walk_finds_the_routes():
    # the walk above must see labfleet's own methods, or it proves nothing
    methods = {(h.__name__, m) for _, h in routes() for m, _ in labfleet_methods(h)}
    assert {
        ("RestartAPIHandler", "post"),
        ("SignupHandler", "get"),
        ("AuditPage", "get"),
    } <= methods
    assert ("HubUserAPIHandler", "get") not in methods  # JupyterHub's own, with its own check


# -- imports --------------------------------------------------------------------------------


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def import_graph() -> dict[str, set[str]]:
    """labfleet module -> the labfleet modules it imports, every import counted (in
    functions and under TYPE_CHECKING too); ``from pkg import submodule`` counts the
    submodule, not pkg."""
    modules = dict(module_name(path) for path in PACKAGE.rglob("*.py"))
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for path in PACKAGE.rglob("*.py"):
        name, is_package = module_name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    base = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [s for s in subs if s in modules]
                if len(targets) < len(subs):
                    targets.append(base)
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_holds_more_than_three_modules():
    graph = import_graph()
    assert "labfleet.app" in graph["labfleet.cli"] | graph["labfleet.doctor"]  # it sees imports
    large = [sorted(c) for c in circles(graph) if len(c) > MAX_CIRCLE]
    assert large == []


def test_the_settings_module_is_a_leaf():
    assert import_graph()["labfleet.settings"] == set()


# the processes' entry points: the command, the culler service, the fork server's children
READS_ENVIRONMENT = {
    "labfleet.cli",
    "labfleet.culler",
    "labfleet.singleuser.forkserver",
    "labfleet.singleuser.__main__",
}


def environment_readers() -> set[str]:
    """The modules whose code touches os.environ or os.getenv."""
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv", "environb")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                readers.add(module_name(path)[0])
    return readers


def test_only_the_entry_points_read_the_environment():
    readers = environment_readers()
    assert "labfleet.cli" in readers  # it sees them
    assert readers <= READS_ENVIRONMENT


TESTS = Path(__file__).resolve().parent


def test_no_test_module_imports_another():
    """Shared helpers live in helper modules (harness, browser, notebooks, ...), so that a
    test module runs alone and its tests are collected once."""
    crossing = []
    for module in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            crossing += [f"{module.name} imports {n}" for n in names if n.startswith("test_")]
    assert crossing == []


def test_the_fast_tier_starts_no_hub():
    """A test that takes a hub, a browser or a page is of the slow tier by itself (conftest);
    the fast tier refuses to start a hub at all (harness.Hub.start)."""
    import conftest
    import harness

    assert {"hub", "browser", "page"} <= conftest.SLOW_FIXTURES
    hub = harness.Hub.__new__(harness.Hub)
    before, harness.FAST_TIER = harness.FAST_TIER, True
    try:
        with pytest.raises(RuntimeError, match="mark it @pytest.mark.slow"):
            hub.start()
    finally:
        harness.FAST_TIER = before

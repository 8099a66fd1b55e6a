"""Dockerfiles of the two images a labfleet hub on Kubernetes runs; pure.

- the hub's: Python with labfleet (its kubernetes and postgres extras) as the account the
  chart runs the hub as (uid 1000, working directory /srv/jupyterhub);
- the users': a Jupyter image with labfleet installed, so that the server extension
  labfleet's features need (notifications, save events, readiness) is there.
"""

from __future__ import annotations

import re

HUB_BASE = "python:3.11-slim"
USER_BASE = "quay.io/jupyter/base-notebook:latest"
# the account the chart's hub.containerSecurityContext runs the hub as
HUB_UID = 1000
# the project name at the start of a requirement
NAME = re.compile(r"[A-Za-z0-9._-]*")


def pip_target(package: str, extras: str = "") -> str:
    """What pip installs: ``package`` (a requirement such as ``labfleet==0.1.0``, or a wheel
    copied next to the Dockerfile) with ``extras`` unless it names its own."""
    name, rest = f"./{package}", ""
    if not package.endswith(".whl"):
        cut = NAME.match(package).end()
        name, rest = package[:cut], package[cut:]
    return f"{name}[{extras}]{rest}" if extras and not rest.startswith("[") else f"{name}{rest}"


def copy_line(package: str) -> list[str]:
    return [f"COPY {package} ./"] if package.endswith(".whl") else []


def make_hub_dockerfile(*, package: str, base: str = HUB_BASE) -> str:
    """The hub image: labfleet[kubernetes,postgres] for the chart's hub pod."""
    lines = [
        f"FROM {base}",
        f"RUN useradd --create-home --uid {HUB_UID} --user-group jovyan \\",
        "    && mkdir -p /srv/jupyterhub && chown jovyan:jovyan /srv/jupyterhub",
        "WORKDIR /srv/jupyterhub",
        *copy_line(package),
        f'RUN pip install --no-cache-dir "{pip_target(package, "kubernetes,postgres")}"',
        "USER jovyan",
        "EXPOSE 8081",
        # the chart gives the command (hub.args); alone, the image starts a local hub
        'CMD ["labfleet", "up"]',
        "",
    ]
    return "\n".join(lines)


def make_user_dockerfile(*, package: str, base: str = USER_BASE) -> str:
    """The users' image: a Jupyter image with labfleet's server extension."""
    lines = [
        f"FROM {base}",
        *copy_line(package),
        f'RUN pip install --no-cache-dir "{pip_target(package)}"',
        "",
    ]
    return "\n".join(lines)

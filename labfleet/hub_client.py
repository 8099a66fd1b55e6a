"""What labfleet's commands use to call the running hub's API (``labfleet users import``,
``labfleet broadcast``): its address from labfleet.yaml, a token, one JSON request."""

from __future__ import annotations

import getpass
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = 600  # bcrypt takes ~0.25 s a password: a large roster takes minutes


class HubError(Exception):
    """The hub could not be reached or refused the request."""


def hub_api(config_path: Path, url: str | None) -> str:
    """The base URL of labfleet's API on the running hub."""
    if url:
        return url.rstrip("/") + "/hub/api/labfleet"
    from .app import LabFleet

    app = LabFleet.from_file(config_path)
    if app.subdomain_host:
        # the hub answers on its own host only
        return f"{app.subdomain_host.rstrip('/')}{app.hub_prefix}api/labfleet"
    bound = urlsplit(app.bind_url)
    netloc = bound.netloc
    if bound.hostname in (None, "", "0.0.0.0", "::"):
        # listening everywhere: this machine answers on loopback
        netloc = f"127.0.0.1:{bound.port}" if bound.port else "127.0.0.1"
    return f"{bound.scheme}://{netloc}{app.hub_prefix}api/labfleet"


def read_token(path: Path | None, scope: str) -> str:
    """The API token in ``path``, else asked for (it needs ``scope``)."""
    if path is not None:
        return path.read_text().strip()
    if not sys.stdin.isatty():
        raise HubError("give --token-file: there is no terminal to ask for the token")
    return getpass.getpass(f"API token with the {scope} scope (from the hub's Token page): ")


def post(url: str, token: str, body: dict) -> dict:
    """POST ``body`` as JSON; the JSON answer, or HubError with the hub's message."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        try:
            message = json.load(e).get("message", e.reason)
        except ValueError:
            message = e.reason
        raise HubError(f"the hub answered {e.code}: {message}") from None
    except urllib.error.URLError as e:
        raise HubError(f"cannot reach the hub at {url}: {e.reason}") from None

"""The proxy: configurable-http-proxy, by default the Python one installed with labfleet.

``python -m labfleet.proxy`` runs that proxy with one correction: it re-quotes each
request path before forwarding it and, by default, quotes every character but ``/``.
A user named ``a-b_c@x.org`` would reach the server as ``/user/a-b_c%40x.org/``,
which is not its base URL. Here paths are quoted as RFC 3986 allows in a path, so
``@``, ``:``, ``+`` and the other sub-delimiters reach the server as the client sent them.
"""

from __future__ import annotations

import functools
import sys
import urllib.parse
from pathlib import Path

from jupyterhub.proxy import ConfigurableHTTPProxy
from traitlets import default

# RFC 3986 pchar: unreserved / sub-delims / ":" / "@", plus the segment separator
PATH_SAFE = "/:@!$&'()*+,;="


class LabFleetProxy(ConfigurableHTTPProxy):
    """configurable-http-proxy started by the hub; set ``proxy.command`` for the node one."""

    @default("command")
    def _command_default(self) -> list[str]:
        return [sys.executable, "-m", "labfleet.proxy"]

    @default("pid_file")
    def _pid_file_default(self) -> str:
        return str(Path(self.parent.hub_dir) / "proxy.pid")


def main() -> None:
    from configurable_http_proxy import cli

    urllib.parse.quote = functools.partial(urllib.parse.quote, safe=PATH_SAFE)
    cli.main()


if __name__ == "__main__":
    main()

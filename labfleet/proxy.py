"""The proxy: configurable-http-proxy, by default the Python one installed with labfleet.

``python -m labfleet.proxy`` runs that proxy with three corrections:

- it re-quotes each request path and by default quotes every character but ``/``:
  a user named ``a-b_c@x.org`` would reach the server as ``/user/a-b_c%40x.org/``,
  not its base URL. Here paths keep what RFC 3986 allows in a path (``@ : + ...``);
- it waits for the whole answer before sending any of it, so event streams (the
  spawn progress of the hub's pages) never arrive; here answers flow as they come;
- its error pages, fetched from the hub, carry the hub's cookies and would replace
  the user's XSRF cookie; here they do not.
"""

from __future__ import annotations

import functools
import sys
import urllib.parse
from pathlib import Path

from configurable_http_proxy import cli, configproxy, handlers
from jupyterhub.proxy import ConfigurableHTTPProxy
from tornado.httpclient import AsyncHTTPClient
from traitlets import default

# RFC 3986 pchar: unreserved / sub-delims / ":" / "@", plus the segment separator
PATH_SAFE = "/:@!$&'()*+,;="
# the proxy's client gives up on a target after 20 s unless told otherwise; streams and
# restarts take longer, so the default here is a day (in ms, as the proxy counts)
PROXY_TIMEOUT_MS = 24 * 3600 * 1000
# headers of the target's answer that describe the connection, not the content
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive"}


class LabFleetProxy(ConfigurableHTTPProxy):
    """configurable-http-proxy started by the hub; set ``proxy.command`` for the node one."""

    @default("command")
    def _command_default(self) -> list[str]:
        return [sys.executable, "-m", "labfleet.proxy"]

    @default("pid_file")
    def _pid_file_default(self) -> str:
        return str(Path(self.parent.hub_dir) / "proxy.pid")


class StreamingProxyHandler(handlers.ProxyHandler):
    """The proxy's handler, sending the target's answer on as it arrives."""

    serving_error_page = False

    async def call_proxy(self, path: str | None = None) -> None:
        url = await self.get_target_url(path)
        if url is None:
            return
        request = self._get_proxy_request(url)
        request.header_callback = self._relay_header
        request.streaming_callback = self._relay_chunk
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
            error = response.error if response.code == 599 else None
        except Exception as e:
            error = e
        if error is None:
            self.finish()
        elif not self._headers_written:
            await self.handle_proxy_error(503, error)

    def _relay_header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            code = int(line.split(" ", 2)[1])
            if code >= 200:  # not an interim 1xx answer
                self.clear()
                self.set_status(code)
            return
        name, colon, value = line.partition(":")
        if not colon or name.strip().lower() in HOP_BY_HOP:
            return
        if name.strip().lower() in {"server", "content-type", "date"}:
            self.set_header(name.strip(), value.strip())
        else:
            self.add_header(name.strip(), value.strip())

    def _relay_chunk(self, chunk: bytes) -> None:
        self.write(chunk)
        self.flush()

    async def handle_proxy_error(self, code: int, err: object) -> None:
        self.serving_error_page = True
        await super().handle_proxy_error(code, err)

    def set_header(self, name: str, value: object) -> None:
        # the hub's error page must not replace the user's cookies
        if not (self.serving_error_page and name.lower() == "set-cookie"):
            super().set_header(name, value)


def main() -> None:
    urllib.parse.quote = functools.partial(urllib.parse.quote, safe=PATH_SAFE)
    configproxy.ProxyHandler = StreamingProxyHandler
    if not any(arg.startswith("--proxy-timeout") for arg in sys.argv):
        sys.argv.append(f"--proxy-timeout={PROXY_TIMEOUT_MS}")
    cli.main()


if __name__ == "__main__":
    main()

"""Caddy's admin API on its Unix socket (a root-only folder): the configuration, as JSON."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

TIMEOUT = 10  # seconds for one call; loading a configuration with certificates takes longest


class CaddyError(Exception):
    """Caddy could not be reached, or refused a change (its message)."""


class CaddyAdmin:
    """Calls to one Caddy's admin API; each bounded by ``timeout``."""

    def __init__(self, socket: str, timeout: float = TIMEOUT):
        self.socket, self.timeout = socket, timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.UnixConnector(path=self.socket),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        return self._session

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON answer of ``method path`` (None when empty); CaddyError otherwise."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            async with self.session().request(
                method, f"http://caddy{path}", data=data, headers=headers
            ) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise CaddyError(f"the proxy's admin API ({self.socket}) did not answer: {e}") from e
        if response.status >= 400:
            try:
                text = json.loads(text).get("error", text)
            except ValueError:
                pass
            raise CaddyError(f"the proxy refused {method} {path}: {text.strip()}")
        return json.loads(text) if text.strip() else None

    async def answers(self) -> bool:
        try:
            await self.call("GET", "/config/admin")
        except CaddyError:
            return False
        return True

    async def config(self) -> dict[str, Any]:
        return await self.call("GET", "/config/") or {}

    async def load(self, config: dict[str, Any]) -> None:
        """Replace the whole configuration (Caddy keeps its listeners and connections)."""
        await self.call("POST", "/load", config)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

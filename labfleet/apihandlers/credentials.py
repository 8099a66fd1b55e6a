"""One-time reveal of the passwords labfleet generated, within the configured time."""

from __future__ import annotations

from tornado import web

from .. import audit
from ..authz import needs_scope
from ..scopes import ADMIN_USERS
from .base import LabFleetAPIHandler


class CredentialsAPIHandler(LabFleetAPIHandler):
    """POST {"usernames": [...]}: the passwords still revealable; each leaves memory now."""

    @needs_scope(ADMIN_USERS)
    async def post(self) -> None:
        names = self.json_object().get("usernames")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise web.HTTPError(400, 'Give the users as {"usernames": ["name", ...]}')
        revealed = self.labfleet.accounts.credentials.reveal(names)
        for name, _ in revealed:
            audit.record(
                self.db, actor=self.current_user.name, action="password.reveal", target=name
            )
        self.set_header("Cache-Control", "no-store")
        self.write({"credentials": [{"username": n, "password": p} for n, p in revealed]})


default_handlers = [(r"/api/labfleet/credentials", CredentialsAPIHandler)]

"""The default authenticator: native accounts kept in the hub's database."""

from __future__ import annotations

import bcrypt
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from traitlets import default


class LabFleetAuthenticator(NativeAuthenticator):
    """NativeAuthenticator with labfleet's defaults."""

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        # a login needs an approved account already; approval is the gate
        return True

    @default("check_common_password")
    def _check_common_default(self) -> bool:
        return True

    def get_handlers(self, app) -> list:
        # NativeAuthenticator's own login page does not run on JupyterHub 6; the hub's
        # stock login form calls authenticate() below. Signup pages are not served yet.
        return []

    def set_password(self, username: str, password: str) -> UserInfo:
        """Create or replace the approved account ``username`` with ``password``."""
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
        info = self.get_user(username)
        if info is None:
            info = UserInfo(username=self.normalize_username(username), password=hashed)
            self.db.add(info)
        info.password = hashed
        info.is_authorized = True
        self.db.commit()
        return info

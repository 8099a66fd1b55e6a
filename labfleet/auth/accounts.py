"""Settings of labfleet's account tools (the ``accounts`` section of labfleet.yaml).

Sign-up, password rules and lockout are the authenticator's settings (section ``auth``).
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from traitlets import Integer
from traitlets.config import Configurable

from ..db.models import Account, FailedLogins, RosterImport, RosterImportUser, TemporaryUser
from ..db.user_rows import UserColumn
from .credentials import Credentials


class Accounts(Configurable):
    """How admins create users and import rosters."""

    # forced password change, sign-up (a name awaiting approval has no id yet), lockout;
    # who imported a roster, and the users it made (what its undo deletes)
    user_rows: ClassVar = (
        UserColumn(Account),
        UserColumn(FailedLogins),
        UserColumn(TemporaryUser, "user_id", keyed="id"),
        UserColumn(RosterImport, "actor", keyed="record"),
        UserColumn(RosterImportUser, "user_id", keyed="id"),
    )

    reveal_seconds = Integer(
        300,
        min=1,
        help="Seconds during which an admin may reveal, once, a password labfleet generated.",
    ).tag(config=True)

    max_batch = Integer(
        500,
        min=1,
        help="Most users one request may create, or roster lines one import may hold.",
    ).tag(config=True)

    max_pending_signups = Integer(
        100,
        min=1,
        help="Most sign-ups waiting for approval; further sign-ups are refused until an "
        "admin approves or rejects some.",
    ).tag(config=True)

    @cached_property
    def credentials(self) -> Credentials:
        """The generated passwords still revealable (in memory only)."""
        return Credentials(self.reveal_seconds)

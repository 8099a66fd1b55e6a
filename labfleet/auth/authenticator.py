"""The default authenticator: native accounts kept in the hub's database.

Built on NativeAuthenticator's model (``users_info``: bcrypt hash, ``is_authorized``) and
password checks; its own pages do not run on JupyterHub 6, so labfleet serves its own
(:mod:`labfleet.auth.pages`). Failed logins and forced password changes live in
labfleet's ``labfleet_accounts`` table, so a lockout survives a hub restart.
"""

from __future__ import annotations

import math
import re
import typing
import unicodedata
from datetime import datetime, timezone
from functools import cached_property

from jupyterhub import orm
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from tornado import web
from traitlets import Bool, Dict, Integer, TraitType, Tuple, Unicode, default

from .. import audit
from ..db.models import Account
from ..timestamps import utc
from . import passwords
from .names import skeleton
from .throttle import SourceThrottle

MAX_USERNAME = 128  # users_info.username is a String(128)
# path and roster separators, and quotes: a name must never close a quoted string of a
# page, a shell command or a query it ends up in
FORBIDDEN_CHARS = ":,/\\?#%'\"`"
USERNAME = re.compile(rf"[^\s{re.escape(FORBIDDEN_CHARS)}\x00-\x1f\x7f]{{1,{MAX_USERNAME}}}")
USERNAME_RULE = (
    f"a user name has 1 to {MAX_USERNAME} characters, no spaces and none of "
    f"{' '.join(FORBIDDEN_CHARS)}"
)


def sentence(problem: str) -> str:
    """A problem (phrased as a clause, as rosters report it) as a sentence."""
    return problem[0].upper() + problem[1:] + "."


def not_offered(trait: TraitType) -> TraitType:
    """A NativeAuthenticator setting that labfleet's pages do not offer: not settable."""
    return trait.tag(config=False)


class LabFleetAuthenticator(NativeAuthenticator):
    """NativeAuthenticator with labfleet's pages, defaults, lasting lockout and forced changes."""

    enable_signup = Bool(
        False,
        help="Let people ask for an account on the sign-up page; an admin approves each "
        "request on the People page (unless open_signup). Off by default: a hub built from "
        "a roster should not invite strangers.",
    ).tag(config=True)

    minimum_password_length = Integer(
        8, min=1, help="Fewest characters a password may have (sign-up, changes, rosters)."
    ).tag(config=True)

    check_common_password = Bool(
        True, help="Refuse passwords found in NativeAuthenticator's list of common passwords."
    ).tag(config=True)

    allowed_failed_logins = Integer(
        5,
        min=0,
        help="Failed logins in a row that lock an account (0: never). Counted in the "
        "database, so a hub restart does not reset them.",
    ).tag(config=True)

    failed_logins_per_source = Integer(
        100,
        min=0,
        help="Failed logins one address may make within seconds_before_next_try, whatever the "
        "names it tries (0: no limit). Generous: a class behind one NAT address shares it.",
    ).tag(config=True)

    seconds_before_next_try = Integer(
        600,
        min=1,
        help="Seconds a locked account must wait before it may try again; an admin can "
        "unlock it sooner, and a password reset unlocks it.",
    ).tag(config=True)

    # labfleet's pages ask for a user name and a password only: no e-mail, second factor,
    # captcha or terms of service (labfleet.yaml refuses these keys rather than ignore them)
    ask_email_on_signup = not_offered(Bool(False, help="Not offered by labfleet."))
    allow_2fa = not_offered(Bool(False, help="Not offered by labfleet."))
    request_otp = not_offered(Bool(False, help="Not offered by labfleet."))
    allow_self_approval_for = not_offered(
        Unicode(None, allow_none=True, help="Not offered by labfleet.")
    )
    secret_key = not_offered(Unicode(help="Not offered by labfleet."))
    self_approval_server = not_offered(Dict(help="Not offered by labfleet."))
    self_approval_email = not_offered(Tuple(help="Not offered by labfleet."))
    recaptcha_key = not_offered(Unicode(help="Not offered by labfleet."))
    recaptcha_secret = not_offered(Unicode(help="Not offered by labfleet."))
    tos = not_offered(Unicode(help="Not offered by labfleet."))

    signups_per_source = Integer(
        10,
        min=0,
        help="Sign-ups one address may make in an hour (0: no limit).",
    ).tag(config=True)

    temporary_users = Bool(
        False,
        help="Offer /hub/tmplogin: anyone with the link gets a server as a new temporary user "
        "with a random name and no password (the login page offers both).",
    ).tag(config=True)

    temporary_user_seconds = Integer(
        86400,
        min=1,
        help="Seconds after its creation when a temporary user whose server is not running "
        "is deleted, with its volumes, system account and records; its browser gets the "
        "same user again until then.",
    ).tag(config=True)

    temporary_logins_per_source = Integer(
        10, min=0, help="Temporary users one address may make in an hour (0: no limit)."
    ).tag(config=True)

    @cached_property
    def temporary_logins(self) -> SourceThrottle:
        """Temporary users made by address."""
        return SourceThrottle(self.temporary_logins_per_source, 3600)

    @cached_property
    def sources(self) -> SourceThrottle:
        """Failed logins by address."""
        return SourceThrottle(self.failed_logins_per_source, self.seconds_before_next_try)

    @cached_property
    def signups(self) -> SourceThrottle:
        """Sign-ups by address."""
        return SourceThrottle(self.signups_per_source, 3600)

    @default("db")
    def _db_default(self) -> typing.Any:
        # accounts live in the hub's own database session, as labfleet's other tables
        return self._deprecated_db_session

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        # a login needs an approved account already; approval is the gate
        return True

    def get_handlers(self, app: typing.Any) -> list[tuple]:
        from . import pages

        return pages.default_handlers

    # -- user names and passwords ---------------------------------------------------

    def normalize_username(self, username: str) -> str:
        """NFC (one form for é, however typed), then JupyterHub's (lower case, username_map)."""
        return super().normalize_username(unicodedata.normalize("NFC", username))

    def name_problem(self, username: str) -> str | None:
        """Why a normalized ``username`` is not a user name at all, or None."""
        if not USERNAME.fullmatch(username) or not super().validate_username(username):
            return f"invalid user name {username!r}: {USERNAME_RULE}"
        return None

    def username_problem(self, username: str) -> str | None:
        """Why a normalized ``username`` may not be given to a new user, or None."""
        problem = self.name_problem(username)
        twin = None if problem else self.lookalike(username)
        if twin is not None:
            return f"the user name {username!r} looks like {twin!r}, which exists: choose another"
        return problem

    def lookalike(self, username: str) -> str | None:
        """An existing user name (or sign-up) that reads as ``username`` but is another."""
        wanted = skeleton(username)
        names = {n for (n,) in self.db.query(orm.User.name)} | {
            n for (n,) in self.db.query(UserInfo.username)
        }
        return next((n for n in sorted(names) if n != username and skeleton(n) == wanted), None)

    def validate_username(self, username: str) -> bool:
        return self.name_problem(username) is None

    def password_problem(self, username: str, password: str) -> str | None:
        """Why ``password`` may not be ``username``'s, or None."""
        if not password.strip():
            return "the password must not be blank or only spaces"
        if len(password) < self.minimum_password_length:
            return f"the password must have at least {self.minimum_password_length} characters"
        if len(password.encode()) > passwords.MAX_BYTES:
            return f"the password must have at most {passwords.MAX_BYTES} bytes"
        if password.lower() == username.lower():
            return "the password must not be the user name"
        if self.check_common_password and self.is_password_common(password):
            return "this password is too common: choose another"
        return None

    def store_password(
        self, username: str, hashed: bytes, *, authorized: bool | None = True
    ) -> UserInfo:
        """Create or replace the native account ``username`` with a bcrypt hash; unlocks it.

        ``authorized`` None keeps the approval as it is (a new account is then pending).
        """
        info = self.get_user(username)
        if info is None:
            info = UserInfo(username=username, password=hashed, is_authorized=False)
            self.db.add(info)
        info.password = hashed
        if authorized is not None:
            info.is_authorized = authorized
        self.account(username).failed_logins = 0
        self.db.commit()
        return info

    def set_password(self, username: str, password: str) -> UserInfo:
        """Create or replace the approved account ``username`` with ``password``."""
        return self.store_password(
            self.normalize_username(username), passwords.hash_password(password)
        )

    # -- labfleet's account state ---------------------------------------------------

    def row(self, username: str) -> Account | None:
        """labfleet's row for ``username`` as the database has it now: JupyterHub's session
        keeps rows past commits, and ``labfleet users unlock`` changes them from outside."""
        row = self.db.get(Account, username)
        if row is not None and row not in self.db.new and not self.db.is_modified(row):
            self.db.refresh(row)  # changes of this session not yet committed are kept
        return row

    def account(self, username: str) -> Account:
        """labfleet's row for ``username``, added to the session if new."""
        row = self.row(username)
        if row is None:
            row = Account(username=username, must_change_password=False, failed_logins=0)
            self.db.add(row)
        return row

    def must_change_password(self, username: str) -> bool:
        row = self.row(username)
        return bool(row and row.must_change_password)

    def locked_seconds(self, username: str) -> int:
        """Seconds until a locked account may try again (0: not locked)."""
        return self.seconds_locked(self.row(username))

    def seconds_locked(self, row: Account | None) -> int:
        """Seconds until the account of ``row`` (read fresh) may try again (0: not locked)."""
        limit = self.allowed_failed_logins
        if not limit or row is None or row.failed_logins < limit or not row.last_failed_login:
            return 0
        since = datetime.now(timezone.utc) - utc(row.last_failed_login)
        return max(0, math.ceil(self.seconds_before_next_try - since.total_seconds()))

    def is_blocked(self, username: str) -> bool:
        return self.locked_seconds(username) > 0

    def count_attempt(self, username: str) -> Account:
        """Count a login attempt as failed (until it succeeds), and commit at once."""
        row = self.account(username)
        row.failed_logins += 1
        row.last_failed_login = datetime.now(timezone.utc)
        self.db.commit()
        return row

    def note_failure(self, row: Account) -> None:
        """Record in the audit log the failure that locked the account, if this one did."""
        if row.failed_logins == self.allowed_failed_logins:
            audit.record(
                self.db, actor="labfleet", action="user.lock", target=row.username,
                failed_logins=row.failed_logins, seconds=self.seconds_before_next_try,
            )  # fmt: skip

    def add_login_attempt(self, username: str) -> None:
        """Count a failed login; record the moment the account becomes locked."""
        self.note_failure(self.count_attempt(username))

    def successful_login(self, username: str) -> None:
        row = self.row(username)
        if row is not None and row.failed_logins:
            row.failed_logins = 0
            self.db.commit()

    def rename_user(self, old: str, new: str) -> None:
        """Move ``old``'s native account and labfleet state to ``new`` (not committed)."""
        info = self.get_user(old)
        if info is not None:
            info.username = new
        row = self.db.get(Account, old)
        if row is not None:
            row.username = new

    def forget(self, username: str) -> None:
        """Delete ``username``'s native account and labfleet state."""
        info = self.get_user(username)
        if info is not None:
            self.db.delete(info)
        row = self.db.get(Account, username)
        if row is not None:
            self.db.delete(row)
        self.db.commit()

    # -- JupyterHub's hooks -------------------------------------------------------------

    async def authenticate(self, handler: web.RequestHandler, data: dict) -> str | None:
        """The user name when the password is right and the account approved and unlocked.

        Each attempt is counted before its password is checked, so that parallel guesses
        cannot all pass the lockout; an unknown name costs the same time as a known one.
        A locked or unapproved account gets a message on the login form (403), the
        latter only once the password is right; an address that failed too often, 429.
        """
        source = handler.request.remote_ip
        wait = self.sources.wait(source)
        if wait:
            raise web.HTTPError(
                429, f"Too many failed logins from this address: try again in {wait} seconds."
            )
        username = self.normalize_username(data.get("username", ""))
        info = self.get_user(username)
        if info is not None:
            self.raise_if_locked(username)
            attempt = self.count_attempt(username)  # counted now, forgotten if it succeeds
        # an unknown name is checked against a dummy hash, on the pool too (never the loop)
        hashed = info.password if info is not None else None
        right = await passwords.averify(data.get("password", ""), hashed)
        if info is not None and right:
            self.successful_login(username)
            if self.suspended(username):
                raise web.HTTPError(403, "Your account is suspended: ask an admin to restore it.")
            if not info.is_authorized:
                raise web.HTTPError(403, "Your account is waiting for an admin's approval.")
            return username
        self.sources.count(source)
        if info is not None:
            self.note_failure(attempt)
            self.raise_if_locked(username)
        return None

    def raise_if_locked(self, username: str) -> None:
        wait = self.locked_seconds(username)
        if wait:
            raise web.HTTPError(
                403,
                f"Too many failed logins: this account is locked for {math.ceil(wait / 60)} "
                "more minute(s), or until an admin unlocks it.",
            )

    def suspended(self, username: str) -> bool:
        """Whether ``username`` is a hub user whose logins an admin refused (a sign-up that
        waits for approval is not a hub user yet)."""
        info = self.get_user(username)
        return bool(info and not info.is_authorized and orm.User.find(self.db, username))

    def pre_spawn_start(self, user, spawner) -> None:
        """Refuse to start a server while its user is suspended or must change their password."""
        if self.suspended(user.name):
            raise web.HTTPError(
                409, f"{user.name}'s account is suspended: restore it before starting a server."
            )
        if self.must_change_password(user.name):
            raise web.HTTPError(
                409,
                f"{user.name} must change their password before starting a server "
                f"(page {self.parent.hub_prefix}labfleet/change-password).",
            )
        return super().pre_spawn_start(user, spawner)

    def delete_user(self, user) -> None:
        self.forget(user.name)
        # NativeAuthenticator's own deletes users_info (gone by now) and the allowed name
        return super().delete_user(user)

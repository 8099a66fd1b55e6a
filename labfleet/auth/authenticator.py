"""The default authenticator: native accounts kept in the hub's database.

Built on NativeAuthenticator's model (``users_info``: bcrypt hash, ``is_authorized``) and
password checks; its own pages do not run on JupyterHub 6, so labfleet serves its own
(:mod:`labfleet.auth.pages`). Forced password changes live in labfleet's
``labfleet_accounts`` table, failed logins in ``labfleet_failed_logins`` (by name and
source), so a lockout survives a hub restart.
"""

from __future__ import annotations

import math
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import cached_property

from jupyterhub import orm
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from sqlalchemy import Row
from tornado import web
from traitlets import Bool, Dict, Integer, TraitType, Tuple, Unicode, default

from .. import audit
from ..db.models import Account
from . import lockout, names, passwords
from .throttle import SourceThrottle, source_of

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
        help="Failed logins in a row under one name from one address (an IPv6 client: its "
        "/64) that lock that address out of the name (0: never); other addresses still log "
        "in with it, and unknown names lock alike. Counted in the database, so a hub "
        "restart does not reset them.",
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
        help="Seconds an address locked out of a name waits, from its last failure, before "
        "it may try again; an admin can unlock the name sooner, and a password reset "
        "unlocks it.",
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
        "with a random name and no password (the login page offers it only with "
        "temporary_users_on_login_page).",
    ).tag(config=True)

    temporary_users_on_login_page = Bool(
        False,
        help="Offer temporary servers on the public login page too (with temporary_users). "
        "Off: only those given the /hub/tmplogin link (a workshop's) get one, and the login "
        "page is for the class's accounts alone.",
    ).tag(config=True)

    temporary_user_seconds = Integer(
        86400,
        min=1,
        help="Seconds after its creation when a temporary user is deleted, with its volumes, "
        "system account and records (a running server is stopped first); its browser gets "
        "the same user again until then.",
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

    def username_problem(self, username: str, renamed: str | None = None) -> str | None:
        """Why a normalized ``username`` may not be given to a new user (or to the user
        ``renamed``, whose name it may look like), or None. Names made before these rules
        stay valid (:meth:`name_problem`)."""
        return self.new_names_checker()(username, renamed)

    def new_names_checker(self) -> Callable[[str, str | None], str | None]:
        """:meth:`username_problem` for a batch of new names: the existing names (users and
        sign-ups) are read once, and each name it accepts counts as taken for the next ones
        (two look-alikes in one batch: the second is refused)."""
        taken: dict[str, set[str]] = {}
        existing = {n for (n,) in self.db.query(orm.User.name)} | {
            n for (n,) in self.db.query(UserInfo.username)
        }
        for name in existing:
            taken.setdefault(names.skeleton(name), set()).add(name)

        def problem(username: str, renamed: str | None = None) -> str | None:
            found = self.name_problem(username)
            if found:
                return found
            twins = sorted(taken.get(names.skeleton(username), set()) - {username, renamed})
            if twins:
                return (
                    f"the user name {username!r} looks like {twins[0]!r}, which exists: "
                    "choose another"
                )
            found = names.problem(username)
            if found is None:
                taken.setdefault(names.skeleton(username), set()).add(username)
            return found

        return problem

    def validate_username(self, username: str) -> bool:
        return self.name_problem(username) is None

    def password_problem(self, username: str, password: str) -> str | None:
        """Why ``password`` may not be ``username``'s, or None."""
        if not password.strip():
            return "the password must not be blank or only spaces"
        if len(password) < self.minimum_password_length:
            return f"the password must have at least {self.minimum_password_length} characters"
        if passwords.unseen(password):
            return "the password must not hold control or invisible characters"
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
        lockout.forget(self.db, username)
        self.db.commit()
        return info

    def set_password(self, username: str, password: str) -> UserInfo:
        """Create or replace the approved account ``username`` with ``password``."""
        return self.store_password(
            self.normalize_username(username), passwords.hash_password(password)
        )

    # -- labfleet's account state ---------------------------------------------------

    def row(self, username: str) -> Account | None:
        """labfleet's row for ``username`` as the database has it now (JupyterHub's session
        keeps rows past commits)."""
        row = self.db.get(Account, username)
        if row is not None and row not in self.db.new and not self.db.is_modified(row):
            self.db.refresh(row)  # changes of this session not yet committed are kept
        return row

    def account(self, username: str) -> Account:
        """labfleet's row for ``username``, added to the session if new."""
        row = self.row(username)
        if row is None:
            row = Account(username=username, must_change_password=False)
            self.db.add(row)
        return row

    def must_change_password(self, username: str) -> bool:
        row = self.row(username)
        return bool(row and row.must_change_password)

    # -- failed logins, by name and source (labfleet.auth.lockout) -----------------------

    def seconds_locked(self, rows: Iterable[Row]) -> int:
        """Seconds until the last source locked out of a name may try it again (0: none is),
        from the name's counts (:func:`lockout.read`)."""
        return lockout.seconds_locked(
            rows,
            self.allowed_failed_logins,
            self.seconds_before_next_try,
            datetime.now(timezone.utc),
        )

    def failed_logins(self, rows: Iterable[Row]) -> int:
        """Failed logins under a name still counted, every source's, from its counts."""
        return lockout.failed_logins(rows, self.seconds_before_next_try, datetime.now(timezone.utc))

    def locked_seconds(self, username: str, source: str) -> int:
        """Seconds until ``source`` may try ``username`` again (0: now)."""
        counts = lockout.read(self.db, [username])[username]
        return self.seconds_locked(row for row in counts if row.source == source)

    def count_failure(self, username: str, source: str) -> None:
        """Count a failed login of ``source`` under ``username`` (committed at once); record
        in the audit log the failure that locks it out, if this one does."""
        failures = lockout.count(
            self.db, username, source, self.seconds_before_next_try, datetime.now(timezone.utc)
        )
        if failures == self.allowed_failed_logins:
            audit.record(
                self.db, actor="labfleet", action="user.lock", target=username, source=source,
                failed_logins=failures, seconds=self.seconds_before_next_try,
            )  # fmt: skip

    def unlock(self, username: str) -> bool:
        """Forget the failed logins under ``username`` of every source, committed; whether
        there were any."""
        had = lockout.forget(self.db, username) > 0
        self.db.commit()
        return had

    def rename_user(self, old: str, new: str) -> None:
        """Move ``old``'s native account to ``new`` (not committed; labfleet's state of the
        account moves with the user's other rows, :mod:`labfleet.db.user_rows`)."""
        info = self.get_user(old)
        if info is not None:
            info.username = new

    def forget(self, username: str) -> None:
        """Delete ``username``'s native account (labfleet's state of it goes with the user's
        other rows)."""
        info = self.get_user(username)
        if info is not None:
            self.db.delete(info)
        self.db.commit()

    # -- JupyterHub's hooks -------------------------------------------------------------

    async def authenticate(self, handler: web.RequestHandler, data: dict) -> str | None:
        """The user name when the password is right and the account approved and unlocked.

        Failures are counted by name and source (:mod:`labfleet.auth.lockout`): a source
        locked out of a name does not lock anyone else out of it, and unknown names lock
        alike. Each attempt is counted before its password is checked, so that parallel
        guesses cannot all pass the lockout; an unknown name costs the same time as a known
        one. A locked-out source or an unapproved account gets a message on the login form
        (403), the latter only once the password is right; an address that failed too
        often, whatever the names, 429.
        """
        source = source_of(handler.request.remote_ip)
        wait = self.sources.wait(source)
        if wait:
            raise web.HTTPError(
                429, f"Too many failed logins from this address: try again in {wait} seconds."
            )
        given, password = data.get("username"), data.get("password")
        if not isinstance(given, str) or not isinstance(password, str):
            self.sources.count(source)
            return None
        username = self.normalize_username(given)
        counted = len(username) <= MAX_USERNAME  # a longer name cannot exist
        if counted:
            self.raise_if_locked(username, source)
            self.count_failure(username, source)  # counted now, forgotten if it succeeds
        info = self.get_user(username)
        # an unknown name is checked against a dummy hash, on the pool too (never the loop)
        right = await passwords.averify(password, info.password if info is not None else None)
        if info is not None and right:
            lockout.forget(self.db, username, source)
            self.db.commit()
            if self.suspended(username):
                raise web.HTTPError(403, "Your account is suspended: ask an admin to restore it.")
            if not info.is_authorized:
                raise web.HTTPError(403, "Your account is waiting for an admin's approval.")
            return username
        self.sources.count(source)
        if counted:
            self.raise_if_locked(username, source)
        return None

    def raise_if_locked(self, username: str, source: str) -> None:
        """403 when ``source`` is locked out of ``username`` (the same words for every name)."""
        wait = self.locked_seconds(username, source)
        if wait:
            raise web.HTTPError(
                403,
                f"Too many failed logins: this name is locked for {math.ceil(wait / 60)} more "
                "minute(s) from your address, or until an admin unlocks it.",
            )

    def suspended(self, username: str) -> bool:
        """Whether ``username`` is a hub user whose logins an admin refused (a sign-up that
        waits for approval is not a hub user yet)."""
        info = self.get_user(username)
        return bool(info and not info.is_authorized and orm.User.find(self.db, username))

    def pre_spawn_start(self, user, spawner) -> None:
        """Refuse to start a server while its user is suspended, or while they must change
        their password and ask for the start themselves: an admin may start it for them
        (the change is asked on their way in, :mod:`.pages`)."""
        if self.suspended(user.name):
            raise web.HTTPError(
                409, f"{user.name}'s account is suspended: restore it before starting a server."
            )
        asking = getattr(spawner.handler, "current_user", None)  # JupyterHub gives the request
        by_themselves = asking is not None and asking.kind == "user" and asking.name == user.name
        if by_themselves and self.must_change_password(user.name):
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

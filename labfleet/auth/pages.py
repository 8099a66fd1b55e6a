"""The account pages of the native authenticator: login, sign-up, change password.

The login form is JupyterHub's own; a user who must change their password is sent to
the change-password page on the way in: at the login, and on the way to their server if an
admin started it for them (they cannot start it themselves before). Sign-up asks for an
account that an admin approves on the users page.
"""

from __future__ import annotations

from datetime import datetime, timezone

from jupyterhub.apihandlers.auth import OAuthAuthorizeHandler
from jupyterhub.handlers.login import LoginHandler
from jupyterhub.user import User
from jupyterhub.utils import url_path_join
from nativeauthenticator.orm import UserInfo
from tornado import web
from tornado.httputil import url_concat

from .. import audit, blocking, material_links, profiles
from ..authz import needs_scope, public
from ..handlers.base import LabFleetPageHandler
from ..scopes import PASSWORD
from . import passwords, temporary
from .authenticator import LabFleetAuthenticator, sentence
from .provision import Provisioner
from .throttle import source_of

CHANGE_PASSWORD = "labfleet/change-password"
SIGNUP = "labfleet/signup"


class AccountPage(LabFleetPageHandler):
    """A page of the native authenticator."""

    authenticator: LabFleetAuthenticator

    async def render_page(self, template: str, **namespace) -> None:
        await super().render_page(template, authenticator=self.authenticator, **namespace)

    def field(self, name: str) -> str:
        """A form field as typed (passwords keep their spaces)."""
        return self.get_body_argument(name, default="", strip=False)

    @property
    def source(self) -> str:
        """Where the request comes from, as throttles and lockouts count it."""
        return source_of(self.request.remote_ip)


class NativeLoginHandler(LoginHandler):
    """JupyterHub's login form; on the way in, a forced password change comes first."""

    authenticator: LabFleetAuthenticator

    def get_next_url(self, user: User | None = None, default: str | None = None) -> str:
        url = super().get_next_url(user, default)
        if user is not None and self.authenticator.must_change_password(user.name):
            return url_concat(url_path_join(self.hub.base_url, CHANGE_PASSWORD), {"next": url})
        return url


class PasswordFirstAuthorizeHandler(OAuthAuthorizeHandler):
    """JupyterHub's authorization of a login to a server, on the way to the server: a user
    who must change their password changes it first, then goes on (an admin may have
    started their server, and a session from before the change was asked may be open)."""

    authenticator: LabFleetAuthenticator

    async def prepare(self) -> None:
        await super().prepare()
        user = self.current_user
        if (
            self.request.method == "GET"
            and getattr(user, "kind", None) == "user"
            and self.authenticator.must_change_password(user.name)
        ):
            page = url_path_join(self.hub.base_url, CHANGE_PASSWORD)
            self.redirect(url_concat(page, {"next": self.request.uri}))


class SignupHandler(AccountPage):
    """Public: ask for an account (user name and password); an admin approves it."""

    def prepare_signup(self) -> None:
        if not self.authenticator.enable_signup:
            raise web.HTTPError(
                404, "Sign-up is turned off on this hub: ask an admin for an account."
            )

    @public
    async def get(self) -> None:
        self.prepare_signup()
        await self.render_page("labfleet/signup.html", username="", error=None, done=None)

    @public
    async def post(self) -> None:
        self.prepare_signup()
        authenticator = self.authenticator
        username = authenticator.normalize_username(self.get_body_argument("username", "").strip())
        password = self.field("password")
        wait = authenticator.signups.wait(self.source)
        if wait:
            raise web.HTTPError(
                429, f"Too many sign-ups from this address: try again in {wait} seconds."
            )
        problem = self.problem(username, password, self.field("password_confirmation"))
        if problem is None:
            hashed = await passwords.ahash(password, blocking.LOGINS)
            # again, now (no await between this check and the sign-up's row): others may
            # have been quicker while the password was hashed
            problem = self.taken(username) or self.full()
        if problem:
            self.set_status(400)
            await self.render_page(
                "labfleet/signup.html", username=username, error=sentence(problem), done=None
            )
            return
        authenticator.signups.count(self.source)
        authenticator.store_password(username, hashed, authorized=authenticator.open_signup)
        authenticator.account(username).signed_up = datetime.now(timezone.utc)
        self.db.commit()
        audit.record(
            self.db, actor=username, action="user.signup", target=username,
            approved=authenticator.open_signup,
        )  # fmt: skip
        done = (
            "Your account is ready: you can log in."
            if authenticator.open_signup
            else "Your request was sent. You can log in once an admin has approved it."
        )
        await self.render_page("labfleet/signup.html", username=username, error=None, done=done)

    def taken(self, username: str) -> str | None:
        if self.find_user(username) or self.authenticator.get_user(username):
            return f"the user name {username} is taken"
        return None

    def problem(self, username: str, password: str, confirmation: str) -> str | None:
        authenticator = self.authenticator
        if not username:
            return "give a user name"
        return (
            authenticator.username_problem(username)
            or self.taken(username)
            or (None if password == confirmation else "the two passwords differ")
            or authenticator.password_problem(username, password)
            or self.full()
        )

    def full(self) -> str | None:
        """Why no sign-up may wait for approval now (the cap), or None."""
        if self.authenticator.open_signup:
            return None
        pending = self.db.query(UserInfo).filter_by(is_authorized=False).count()
        if pending >= self.labfleet.accounts.max_pending_signups:
            return "too many sign-ups are waiting for approval: try again later"
        return None


class TemporaryLoginHandler(AccountPage):
    """Public: a server for anyone with the link, as a temporary user (the same one again
    for the same browser), when ``auth.temporary_users`` is on; ``env`` its environment, and
    ``notebook`` a notebook to open, or ``repo`` (``branch``, ``file``) a git repository to
    pull into the home and a file of it to open (:mod:`labfleet.material_links`)."""

    @public
    async def get(self) -> None:
        authenticator = self.authenticator
        if not getattr(authenticator, "temporary_users", False):
            raise web.HTTPError(404, "Temporary users are turned off on this hub.")
        env, notebook = self.get_argument("env", None), self.get_argument("notebook", None)
        arguments = {key: self.get_argument(key, "") for key in ("repo", "branch", "file")}
        try:
            profile = self.labfleet.environments.find(env) if env else None
            path = profiles.notebook_path(notebook) if notebook else None
            link = material_links.parse_link(arguments) if any(arguments.values()) else None
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        if path and link:
            raise web.HTTPError(400, "A link opens a notebook of the home or a repository's file")
        user = self.returning_user()
        if user is None:
            source = self.source
            wait = authenticator.temporary_logins.wait(source)
            if wait:
                raise web.HTTPError(
                    429, f"Too many temporary users from your address: try again in {wait} s."
                )
            authenticator.temporary_logins.count(source)
            user = await temporary.make(self.provisioner())
            self.set_signed_cookie(
                temporary.COOKIE, user.name,
                expires_days=authenticator.temporary_user_seconds / 86400,
                httponly=True, path=self.hub.base_url, secure=self.request.protocol == "https",
            )  # fmt: skip
        self.set_login_cookie(user)
        # the environment chosen by the link, and its notebook opened once the server runs
        query = {"opt-env": profile.name} if profile else {}
        if path:
            query["next"] = url_path_join(user.url, "lab", "tree", path)
        elif link:
            query["next"] = url_path_join(user.url, link.pull_path())
        self.redirect(url_concat(url_path_join(self.hub.base_url, "spawn"), query))

    def returning_user(self) -> User | None:
        """The temporary user this browser had, if it still exists."""
        name = self.get_signed_cookie(
            temporary.COOKIE, max_age_days=self.authenticator.temporary_user_seconds / 86400
        )
        user = self.find_user(name.decode()) if name else None
        return user if user and temporary.is_temporary(self.db, user.id) else None

    def provisioner(self) -> Provisioner:
        return Provisioner(
            db=self.db,
            authenticator=self.authenticator,
            users=self.users,
            backend=self.labfleet.backend,
            credentials=self.labfleet.accounts.credentials,
            rows=self.labfleet.user_rows,
            actor="labfleet (temporary login)",
        )


class ChangePasswordHandler(AccountPage):
    """The logged-in user changes their own password, giving the current one."""

    async def render_form(self, error: str | None = None, done: str | None = None) -> None:
        user = self.current_user
        await self.render_page(
            "labfleet/change-password.html",
            must_change=self.authenticator.must_change_password(user.name),
            next_url=self.get_argument("next", ""),
            error=error,
            done=done,
        )

    @web.authenticated
    @needs_scope(PASSWORD, own=True)
    async def get(self) -> None:
        await self.render_form()

    @web.authenticated
    @needs_scope(PASSWORD, own=True)
    async def post(self) -> None:
        user = self.current_user
        authenticator = self.authenticator
        info = authenticator.get_user(user.name)
        if info is None:
            raise web.HTTPError(409, f"{user.name} has no password kept by this hub")
        current, new = self.field("current_password"), self.field("new_password")
        problem = await self.problem(user.name, info.password, current, new)
        if problem:
            self.set_status(400)
            await self.render_form(error=sentence(problem))
            return
        hashed = await passwords.ahash(new, blocking.LOGINS)
        was_forced = authenticator.must_change_password(user.name)
        authenticator.store_password(user.name, hashed, authorized=None)
        authenticator.account(user.name).must_change_password = False
        self.db.commit()
        self.labfleet.accounts.credentials.forget(user.name)
        audit.record(self.db, actor=user.name, action="password.change", target=user.name)
        if was_forced or self.get_argument("next", ""):
            self.redirect(self.get_next_url(user))
        else:
            await self.render_form(done="Your password was changed.")

    async def problem(self, username: str, hashed: bytes, current: str, new: str) -> str | None:
        authenticator = self.authenticator
        if authenticator.locked_seconds(username, self.source):
            return "too many wrong passwords: this account is locked for now"
        if not await passwords.averify(current, hashed):
            authenticator.count_failure(username, self.source)
            return "the current password is wrong"
        if new != self.field("new_password_confirmation"):
            return "the two new passwords differ"
        if new == current:
            return "the new password must differ from the current one"
        return authenticator.password_problem(username, new)


default_handlers = [
    (r"/login", NativeLoginHandler),
    (r"/api/oauth2/authorize", PasswordFirstAuthorizeHandler),
    (rf"/{SIGNUP}", SignupHandler),
    (rf"/{CHANGE_PASSWORD}", ChangePasswordHandler),
    (r"/tmplogin", TemporaryLoginHandler),
]

"""Accounts: list and create users, import rosters, approve, reset passwords, delete, rename.

Every route needs JupyterHub's ``admin:users`` scope (for the user in the path, where
there is one). labfleet also takes over JupyterHub's own ``/api/users/{name}`` so that a
rename moves the user's volumes and labfleet rows, and a delete forgets the rows.
"""

from __future__ import annotations

from jupyterhub import orm
from jupyterhub.apihandlers.users import UserAPIHandler, UserListAPIHandler
from jupyterhub.scopes import has_scope
from jupyterhub.user import User
from nativeauthenticator.orm import UserInfo
from tornado import web

from ..arguments import whole_number
from ..audit.hub_requests import checks_then_defers
from ..auth import people
from ..auth.accounts import Accounts
from ..auth.authenticator import LabFleetAuthenticator, sentence
from ..auth.emails import UNCONFIRMED, looks_like_email
from ..auth.provision import Provisioner
from ..authz import needs_scope
from ..scopes import ADMIN_USERS, DELETE_USERS
from ..timestamps import iso
from .base import LabFleetAPIHandler

MAX_PAGE = 500  # people one page lists at most
ADMIN_FLAG_SCOPES = ("read:users", "read:roles:users")  # who may see whether a user is admin


class AccountsBase(LabFleetAPIHandler):
    """What the account routes share: the settings, the provisioner, the model."""

    @property
    def accounts(self) -> Accounts:
        return self.labfleet.accounts

    def provisioner(self) -> Provisioner:
        """The account changes of the caller, on this hub."""
        return Provisioner(
            db=self.db,
            authenticator=self.authenticator,
            users=self.users,
            backend=self.backend,
            credentials=self.accounts.credentials,
            rows=self.labfleet.user_rows,
            actor=self.current_user.name,
        )

    def body(self, allowed: set[str]) -> dict:
        """The JSON object of the request; 400 for keys outside ``allowed``."""
        body = self.json_object()
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise web.HTTPError(
                400, f"Unknown keys {unknown}; allowed: {', '.join(sorted(allowed))}"
            )
        return body

    def refuse_new_names(self, given: list[str], renamed: str | None = None) -> None:
        """400 when one of ``given`` may not be a new user's name: the rules of new names, or
        it reads as an existing user's other than ``renamed``, or as another of ``given``
        (JupyterHub's own routes do not check)."""
        authenticator = self.authenticator
        if isinstance(authenticator, LabFleetAuthenticator):
            check = authenticator.new_names_checker()
            for name in given:
                problem = check(authenticator.normalize_username(name), renamed)
                if problem:
                    raise web.HTTPError(400, sentence(problem))

    def user_model(self, user: orm.User | User) -> dict:
        """JupyterHub's model of ``user`` (its own routes), whose ``admin`` flag a token that
        may read names alone (``read:users:name``) does not see: it takes ``read:users`` or
        ``read:roles:users`` for that user."""
        model = super().user_model(user)
        if "admin" in model and not any(
            self.get_scope_filter(scope)(user, kind="user") for scope in ADMIN_FLAG_SCOPES
        ):
            del model["admin"]
        return model

    def flag(self, body: dict, key: str, default: bool | None = None) -> bool | None:
        value = body.get(key, default)
        if value is not None and not isinstance(value, bool):
            raise web.HTTPError(400, f"{key} must be true or false")
        return value

    def person_model(self, person: people.Person) -> dict:
        """One person as the API answers them."""
        name, user, info, row = person.name, person.user, person.info, person.row
        reveal_until = self.accounts.credentials.reveal_until(name)
        return {
            "name": name,
            "hub_user": user is not None,
            "admin": bool(user and user.admin),
            "groups": sorted(g.name for g in user.groups) if user else [],
            "has_password": info is not None,
            "approved": bool(info and info.is_authorized),
            "suspended": bool(user and info and not info.is_authorized),
            "must_change_password": bool(row and row.must_change_password),
            "failed_logins": self.authenticator.failed_logins(person.failures),
            "locked_seconds": self.authenticator.seconds_locked(person.failures),
            "signed_up": iso(row.signed_up if row else None),
            "server": people.server_state(self.users, user),
            "last_activity": iso(user.last_activity if user else None),
            "reveal_until": iso(reveal_until),
        }

    def account(self, name: str) -> dict:
        return self.person_model(people.load(self.db, [name])[0])


class UsersAPIHandler(AccountsBase):
    """GET ?search&group&state&offset&limit: the people, filtered and paged (every one
    without a limit). POST {"usernames", "groups", "must_change_password", "email_names"}:
    create users; ``"email_names": false`` refuses names that look like e-mail addresses
    (marked ``looks_like_email``), for a page to ask first."""

    def filters(self) -> dict[str, str]:
        state = self.get_argument("state", "")
        if state and state not in people.STATES:
            raise web.HTTPError(400, f"state must be one of {', '.join(people.STATES)}")
        return {
            "search": self.get_argument("search", "").strip(),
            "group": self.get_argument("group", ""),
            "state": state,
        }

    def page(self) -> tuple[int, int | None]:
        """(offset, limit) of the query; no limit: everyone from the offset on."""
        try:
            offset = whole_number("offset", self.get_argument("offset", "0"), 0, 10**9)
            limit = self.get_argument("limit", None)
            return offset, None if limit is None else whole_number("limit", limit, 1, MAX_PAGE)
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None

    @needs_scope(ADMIN_USERS)
    async def get(self) -> None:
        authenticator = self.provisioner().native().authenticator
        filters, (offset, limit) = self.filters(), self.page()
        names = people.names(self.db, filters["search"], filters["group"])
        if filters["state"]:
            found = people.matching(
                people.load(self.db, names),
                filters["state"],
                users=self.users,
                seconds_locked=authenticator.seconds_locked,
            )
            total = len(found)
            shown = found[offset:] if limit is None else found[offset : offset + limit]
        else:
            total = len(names)
            page = names[offset:] if limit is None else names[offset : offset + limit]
            shown = people.load(self.db, page)
        disks = await self.backend.disk_usage([person.name for person in shown])
        listed = []
        for person in shown:
            disk = disks.get(person.name)  # a disk of their own: use against the limit
            listed.append({**self.person_model(person), "disk": disk.to_json() if disk else None})
        self.write(
            {
                "users": listed,
                "total": total,
                "offset": offset,
                "groups": [g.name for g in self.db.query(orm.Group).order_by(orm.Group.name)],
                "signup": authenticator.enable_signup,
                "open_signup": authenticator.open_signup,
                "reveal_seconds": self.accounts.reveal_seconds,
            }
        )

    @needs_scope(ADMIN_USERS)
    async def post(self) -> None:
        provisioner = self.provisioner().native()
        body = self.body({"usernames", "groups", "must_change_password", "email_names"})
        usernames = body.get("usernames")
        group_names = body.get("groups", [])
        if not is_names(usernames) or not usernames:
            raise web.HTTPError(400, 'Give the users to create as {"usernames": ["name", ...]}')
        if not is_names(group_names):
            raise web.HTTPError(400, 'Give the groups as {"groups": ["name", ...]}')
        if len(usernames) > self.accounts.max_batch:
            raise web.HTTPError(
                400, f"At most {self.accounts.max_batch} users at once ({len(usernames)} given)"
            )
        must_change = self.flag(body, "must_change_password", False)
        email_names = self.flag(body, "email_names", True)
        groups = provisioner.groups(group_names)
        names: list[str] = []
        rejected = []
        check = self.authenticator.new_names_checker()
        for given in usernames:
            name = self.authenticator.normalize_username(given.strip())
            problem = check(name) if name else "no user name"
            if not problem and name in names:
                problem = f"{name} is listed twice"
            if not problem and provisioner.exists(name):
                problem = f"{name} already exists"
            if not problem and not email_names and looks_like_email(name):
                reason = f"{name} {UNCONFIRMED}"
                rejected.append({"username": given, "reason": reason, "looks_like_email": True})
            elif problem:
                rejected.append({"username": given, "reason": problem})
            else:
                names.append(name)
        created = await provisioner.create(names, groups, must_change)
        made = {name for name, _ in created}
        rejected += [
            {"username": n, "reason": f"{n} already exists"} for n in names if n not in made
        ]  # created meanwhile by another request
        self.write(
            {
                "created": [{"username": n, "reveal_until": iso(t)} for n, t in created],
                "rejected": rejected,
                "reveal_seconds": self.accounts.reveal_seconds,
            }
        )


class AccountAPIHandler(AccountsBase):
    """PATCH: approve or suspend, force a password change, unlock. DELETE: delete, volumes or
    not."""

    def existing(self, user_name: str) -> tuple[Provisioner, User | None, UserInfo | None]:
        """The provisioner, the hub user and the native account; 404 if neither exists."""
        provisioner = self.provisioner().native()
        user = self.find_user(user_name)
        info = provisioner.authenticator.get_user(user_name)
        if user is None and info is None:
            raise web.HTTPError(404, f"No such user: {user_name}")
        return provisioner, user, info

    @needs_scope(ADMIN_USERS)
    async def patch(self, user_name: str) -> None:
        provisioner, user, info = self.existing(user_name)
        body = self.body({"approved", "must_change_password", "locked"})
        approved = self.flag(body, "approved")
        must_change = self.flag(body, "must_change_password")
        locked = self.flag(body, "locked")
        if not body:
            raise web.HTTPError(400, "Give approved, must_change_password or locked")
        if locked:
            raise web.HTTPError(400, 'Accounts lock themselves; give {"locked": false} to unlock')
        authenticator = provisioner.authenticator
        if approved is not None and info is None:
            raise web.HTTPError(409, f"{user_name} has no password to approve: reset it first")
        if approved is False and user_name == self.current_user.name:
            raise web.HTTPError(400, "You cannot suspend yourself")
        if approved and (not info.is_authorized or user is None):
            await provisioner.approve(user_name)
        elif approved is False and info.is_authorized and user is not None:
            async with self.operation("user.suspend", user, rate_limited=False):
                await provisioner.suspend(user, self.stop_single_user)
        if must_change is not None and must_change != authenticator.must_change_password(user_name):
            authenticator.account(user_name).must_change_password = must_change
            self.db.commit()
            provisioner.record("password.force_change", user_name, must_change_password=must_change)
        if locked is False and authenticator.unlock(user_name):
            provisioner.record("user.unlock", user_name)
        self.db.commit()
        self.write(self.account(user_name))

    @needs_scope(ADMIN_USERS)
    async def delete(self, user_name: str) -> None:
        provisioner, user, _ = self.existing(user_name)
        delete_volumes = self.json_object().get("delete_volumes")
        if not isinstance(delete_volumes, bool):
            raise web.HTTPError(
                400, 'Say whether to delete the volumes too: {"delete_volumes": true|false}'
            )
        if user is None:
            # a sign-up never approved: only the request goes
            provisioner.reject_signup(user_name)
            provisioner.record("signup.reject", user_name)
            self.write({"deleted": user_name, "volumes_deleted": False,
                        "message": f"Rejected the sign-up of {user_name}"})  # fmt: skip
            return
        provisioner.check_deletable(user)
        async with self.operation(
            "user.delete", user, delete_volumes=delete_volumes, rate_limited=False
        ):
            await provisioner.delete(
                user, delete_volumes=delete_volumes, stop=self.stop_single_user
            )
        kept = "deleted" if delete_volumes else "kept"
        self.write({"deleted": user.name, "volumes_deleted": delete_volumes,
                    "message": f"Deleted {user.name}; their volumes were {kept}"})  # fmt: skip


class PasswordAPIHandler(AccountsBase):
    """POST {"password"?, "must_change_password"?}: set a given or generated password."""

    @needs_scope(ADMIN_USERS)
    async def post(self, user_name: str) -> None:
        provisioner = self.provisioner().native()
        if not provisioner.exists(user_name):
            raise web.HTTPError(404, f"No such user: {user_name}")
        body = self.body({"password", "must_change_password"})
        password = body.get("password")
        must_change = self.flag(body, "must_change_password")
        if password is not None:
            if not isinstance(password, str):
                raise web.HTTPError(400, "password must be text (leave it out to generate one)")
            problem = provisioner.authenticator.password_problem(user_name, password)
            if problem:
                raise web.HTTPError(400, sentence(problem))
        reveal_until = await provisioner.reset_password(user_name, password, must_change)
        self.write(
            {
                "username": user_name,
                "generated": password is None,
                "reveal_until": iso(reveal_until),
                "must_change_password": provisioner.authenticator.must_change_password(user_name),
            }
        )


class HubUserListAPIHandler(UserListAPIHandler, AccountsBase):
    """JupyterHub's /api/users (its Admin page's "Add Users"): lookalike names refused."""

    @checks_then_defers
    @needs_scope(ADMIN_USERS)
    async def post(self) -> None:
        body = self.get_json_body()
        given = body.get("usernames") if isinstance(body, dict) else None
        self.refuse_new_names(given if is_names(given) else [])
        return await super().post()


class HubUserAPIHandler(UserAPIHandler, AccountsBase):
    """JupyterHub's /api/users/{name}: a rename moves the user's volumes and rows first;
    a new name that looks like an existing one is refused."""

    @checks_then_defers
    @needs_scope(ADMIN_USERS)
    async def post(self, user_name: str) -> None:
        self.refuse_new_names([user_name])
        return await super().post(user_name)

    @needs_scope(ADMIN_USERS)
    async def patch(self, user_name: str) -> None:
        user = self.find_user(user_name)
        body = self.get_json_body()
        changes_admin = isinstance(body, dict) and "admin" in body
        if changes_admin and user is not None and body["admin"] != user.admin:
            # a token limited to some users (admin:users!user=bob) must not make them admins
            if not has_scope(ADMIN_USERS, self.parsed_scopes, db=self.db):
                raise web.HTTPError(
                    403, "Making a user an admin, or not, needs admin:users for every user"
                )
        new_name = self.new_name(user)
        if new_name is None:
            # no rename, or one that JupyterHub refuses itself
            return await super().patch(user_name)
        self.refuse_new_names([new_name], renamed=user.name)
        if user.active:
            raise web.HTTPError(409, f"{user.name}'s server is running: stop it before renaming")
        authenticator = self.authenticator
        if isinstance(authenticator, LabFleetAuthenticator) and authenticator.get_user(new_name):
            raise web.HTTPError(
                409, f"A sign-up for {new_name} is waiting for approval: reject it first"
            )
        async with self.operation("user.rename", user, new_name=new_name, rate_limited=False):
            await self.backend.rename_volumes(user_name, new_name)
            try:
                self.provisioner().move_rows(user_name, new_name)
                await super().patch(user_name)  # commits the rows with the new name
            except Exception:
                self.db.rollback()
                await self.backend.rename_volumes(new_name, user_name)
                raise
            self.labfleet.accounts.credentials.rename(user_name, new_name)
            # JupyterHub's User keeps URLs made from the old name, and so do its (stopped)
            # spawners: drop it from the cache (not the database), rebuilt on next use
            dict.pop(self.users, user.id, None)

    def new_name(self, user: User | None) -> str | None:
        """The new name asked for, if it is valid and free; else None."""
        body = self.get_json_body()
        if user is None or not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return None
        new = self.authenticator.normalize_username(body["name"])
        if new == user.name or not self.authenticator.validate_username(new) or self.find_user(new):
            return None
        return new

    @needs_scope(DELETE_USERS)
    async def delete(self, user_name: str) -> None:
        user = self.target_user(user_name)
        provisioner = self.provisioner()
        provisioner.check_deletable(user)
        async with self.operation("user.delete", user, delete_volumes=False, rate_limited=False):
            await provisioner.delete(user, delete_volumes=False, stop=self.stop_single_user)
        self.set_status(204)


def is_names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


default_handlers = [
    (r"/api/labfleet/users", UsersAPIHandler),
    (r"/api/labfleet/users/([^/]+)/account", AccountAPIHandler),
    (r"/api/labfleet/users/([^/]+)/password", PasswordAPIHandler),
]

# served ahead of JupyterHub's own routes
hub_overrides = [
    (r"/api/users", HubUserListAPIHandler),
    (r"/api/users/([^/]+)", HubUserAPIHandler),
]

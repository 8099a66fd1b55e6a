"""Roster imports: preview and import a roster (a file as registrars export it, or text),
list the recent imports, undo one (its users and groups go, no others).

Every route needs JupyterHub's ``admin:users`` scope; groups are created, and deleted by
an undo, only for callers that also hold ``admin:groups``.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from functools import cache

from jupyterhub import orm
from jupyterhub.scopes import has_scope
from tornado import web

from ..auth import imports, roster
from ..auth.authenticator import sentence
from ..auth.roster_files import RosterFileError, decode
from ..authz import needs_scope
from ..db.models import RosterImport
from ..groups import deletion, names
from ..scopes import ADMIN_GROUPS, ADMIN_USERS
from .users import AccountsBase

RECENT = 20  # imports the listing shows
PASTED = "pasted text"


class ImportAPIHandler(AccountsBase):
    """POST {"roster": text | "file": base64, "filename", "columns", "header",
    "names_from_emails", "email_names", "must_change_password", "preview"}: apply a roster
    line by line (idempotent), or only say what it would do. Groups it names that do not
    exist are created for callers with admin:groups."""

    KEYS = {
        "roster", "file", "filename", "columns", "header", "names_from_emails", "email_names",
        "must_change_password", "preview",
    }  # fmt: skip

    def roster_text(self, body: dict) -> tuple[str, str | None, str]:
        """The roster's text, its encoding (None: text as sent) and where it came from."""
        text, data = body.get("roster"), body.get("file")
        filename = body.get("filename")
        if filename is not None and not isinstance(filename, str):
            raise web.HTTPError(400, "filename must be text")
        if isinstance(text, str) and data is None:
            return text, None, filename or PASTED
        if not isinstance(data, str) or text is not None:
            raise web.HTTPError(
                400,
                'Give the roster as {"roster": "its text"} or as a file, {"file": "its bytes '
                'in base64", "filename": "class.csv"}',
            )
        try:
            decoded = decode(b64decode(data, validate=True))
        except (binascii.Error, ValueError) as e:
            problem = str(e) if isinstance(e, RosterFileError) else "file is not base64"
            raise web.HTTPError(400, f"{filename or 'The file'}: {problem}") from None
        return decoded.text, decoded.encoding, filename or "a file"

    def group_problem(self):
        """Why a roster may not name a group: a new group's name must follow the rule."""

        @cache
        def problem(name: str) -> str | None:
            return None if orm.Group.find(self.db, name) else names.problem(name)

        return problem

    @needs_scope(ADMIN_USERS)
    async def post(self) -> None:
        provisioner = self.provisioner().native()
        body = self.body(self.KEYS)
        text, encoding, source = self.roster_text(body)
        columns = body.get("columns")
        if columns is not None and not isinstance(columns, list):
            raise web.HTTPError(400, 'Give columns as ["username", "", "email", ...]')
        authenticator = provisioner.authenticator
        try:
            parsed = roster.parse(
                text,
                authenticator.normalize_username,
                authenticator.new_names_checker(),
                authenticator.password_problem,
                self.group_problem(),
                columns=columns,
                header=self.flag(body, "header"),
                names_from_emails=self.flag(body, "names_from_emails", False),
                email_names=self.flag(body, "email_names", True),
            )
        except roster.RosterError as e:
            raise web.HTTPError(400, sentence(str(e))) from None
        if parsed.lines > self.accounts.max_batch:
            raise web.HTTPError(
                400,
                f"At most {self.accounts.max_batch} lines at once ({parsed.lines} given): "
                "split the roster",
            )
        file = {"encoding": encoding, **parsed.layout.to_json(), "problem": parsed.problem}
        create_groups = has_scope(ADMIN_GROUPS, self.parsed_scopes, db=self.db)
        if self.flag(body, "preview", False):
            self.write({"file": file, **provisioner.preview_roster(parsed, create_groups)})
            return
        report = await provisioner.import_roster(
            parsed,
            source=source,
            create_groups=create_groups,
            must_change_password=self.flag(body, "must_change_password", False),
        )
        self.write(
            {**report.to_json(), "file": file, "reveal_seconds": self.accounts.reveal_seconds}
        )


class ImportsAPIHandler(AccountsBase):
    """GET: the recent roster imports that made something, with what is still there."""

    @needs_scope(ADMIN_USERS)
    async def get(self) -> None:
        listed = [
            imports.summary(record, *imports.left(self.db, record.id))
            for record in imports.recent(self.db, RECENT)
        ]
        self.write({"imports": listed})


class UndoImportAPIHandler(AccountsBase):
    """POST {"delete_volumes": bool}: delete the users and groups an import made (still
    there), and no others; each user as DELETE .../account does."""

    @needs_scope(ADMIN_USERS)
    async def post(self, import_id: str) -> None:
        provisioner = self.provisioner().native()
        record = self.db.get(RosterImport, int(import_id))
        if record is None:
            raise web.HTTPError(404, f"No such import: {import_id}")
        if record.undone is not None:
            raise web.HTTPError(409, f"Import {record.id} was undone already")
        delete_volumes = self.json_object().get("delete_volumes")
        if not isinstance(delete_volumes, bool):
            raise web.HTTPError(
                400, 'Say whether to delete the volumes too: {"delete_volumes": true|false}'
            )
        users, groups = imports.left(self.db, record.id)
        deleted, failed = [], []
        for orm_user in users:
            user = self.users[orm_user]
            try:
                provisioner.check_deletable(user)
                async with self.operation(
                    "user.delete", user, delete_volumes=delete_volumes, rate_limited=False,
                    roster_import=record.id,
                ):  # fmt: skip
                    await provisioner.delete(
                        user, delete_volumes=delete_volumes, stop=self.stop_single_user
                    )
            except web.HTTPError as e:
                failed.append({"name": user.name, "reason": e.log_message})
                continue
            deleted.append(user.name)
        groups_deleted = []
        if has_scope(ADMIN_GROUPS, self.parsed_scopes, db=self.db):
            for group in groups:
                name = group.name
                try:
                    deletion.delete(
                        self.db, group, self.labfleet.groups, actor=self.current_user.name,
                        roster_import=record.id,
                    )  # fmt: skip
                except web.HTTPError as e:
                    failed.append({"name": name, "reason": e.log_message})
                    continue
                groups_deleted.append(name)
        else:
            failed += [
                {"name": g.name, "reason": "deleting groups needs the admin:groups scope"}
                for g in groups
            ]
        if not failed:
            imports.mark_undone(self.db, record)
        provisioner.record(
            "roster.undo", f"import {record.id}", users=deleted, groups=groups_deleted,
            failed=[f["name"] for f in failed], delete_volumes=delete_volumes,
        )  # fmt: skip
        kept = "deleted" if delete_volumes else "kept"
        message = (
            f"Undid import {record.id}: deleted {len(deleted)} user(s) and "
            f"{len(groups_deleted)} group(s); the users' volumes were {kept}"
        )
        if failed:
            message += f". {len(failed)} could not be deleted: try again once they can"
        self.write(
            {
                "id": record.id,
                "users_deleted": deleted,
                "groups_deleted": groups_deleted,
                "failed": failed,
                "undone": not failed,
                "message": message,
            }
        )


default_handlers = [
    (r"/api/labfleet/users/import", ImportAPIHandler),
    (r"/api/labfleet/users/imports", ImportsAPIHandler),
    (r"/api/labfleet/users/imports/([0-9]+)/undo", UndoImportAPIHandler),
]

"""The rows labfleet keeps under a user's name, and their one owner.

Each feature declares, on the class of its labfleet.yaml section (``user_rows``), every
column of its tables that names a user: kept under the user's ``name`` (deleted with the
user and renamed with them), under JupyterHub's user ``id`` (deleted with the user; a
rename keeps the id), or a ``record`` of what happened, kept as it was written (the audit
log, who sent a broadcast). The hub gathers the declarations of every section into one
:class:`UserRows` (``labfleet.app.USER_ROWS``), and every delete and rename of a user goes
through it; a test fails when a table names a user without a declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from .models import Base

Keyed = Literal["name", "id", "record"]


@dataclass(frozen=True)
class UserColumn:
    """A column of ``model`` that names a user, and how it goes with the user."""

    model: type[Base]
    column: str = "username"
    keyed: Keyed = "name"

    @property
    def table(self) -> str:
        return self.model.__tablename__

    def where(self, value: str | int):
        return getattr(self.model, self.column) == value


class UserRows:
    """The one owner of labfleet's rows of a user: deletes and renames them all."""

    def __init__(self, columns: Iterable[UserColumn]):
        self.columns = tuple(columns)

    @classmethod
    def gather(cls, sections: Iterable[type]) -> UserRows:
        """The columns the classes of labfleet.yaml's ``sections`` declare."""
        return cls(c for section in sections for c in getattr(section, "user_rows", ()))

    def of(self, keyed: Keyed) -> list[UserColumn]:
        return [c for c in self.columns if c.keyed == keyed]

    def delete(self, db: Session, name: str, user_id: int | None) -> None:
        """Delete the rows of the user ``name`` (``user_id``: JupyterHub's id, None for a
        sign-up never approved); not committed."""
        for column in self.of("name"):
            db.execute(delete(column.model).where(column.where(name)))
        if user_id is not None:
            for column in self.of("id"):
                db.execute(delete(column.model).where(column.where(user_id)))

    def rename(self, db: Session, old: str, new: str) -> None:
        """Move the rows of ``old`` to ``new``, first deleting what an earlier user of the
        name ``new`` left (nobody inherits it); not committed."""
        for column in self.of("name"):
            db.execute(delete(column.model).where(column.where(new)))
            db.execute(update(column.model).where(column.where(old)).values({column.column: new}))

"""SQLAlchemy models of labfleet's tables (prefixed ``labfleet_``)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    """Base of labfleet's tables, apart from JupyterHub's own metadata."""


class AuditEvent(Base):
    """Who did what to whom, when, and how it ended."""

    __tablename__ = "labfleet_audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class SessionExtension(Base):
    """Hours added to a user's idle timeout, for the server started at ``server_started``."""

    __tablename__ = "labfleet_session_extensions"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    server_started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hours: Mapped[int] = mapped_column(Integer, default=0)


class UserEnvironment(Base):
    """The environment variables a user keeps for their servers (applied if a group allows).

    Keyed by JupyterHub's user id: the migration makes it a foreign key that deletes
    the row with the user, and a renamed user keeps their variables.
    """

    __tablename__ = "labfleet_user_environment"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Account(Base):
    """labfleet's state of a native account: forced password change, sign-up.

    Keyed by user name, like NativeAuthenticator's ``users_info``, since a sign-up waiting
    for approval has no JupyterHub user yet; it follows renames and goes with deletes.
    """

    __tablename__ = "labfleet_accounts"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_up: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FailedLogins(Base):
    """Failed logins in a row under one name from one source (an address; IPv6: its /64),
    whether the name exists or not (:mod:`labfleet.auth.lockout`)."""

    __tablename__ = "labfleet_failed_logins"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Broadcast(Base):
    """A notification sent (or to be sent) to users' running JupyterLab sessions."""

    __tablename__ = "labfleet_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), default="broadcast")  # or "cull-warning"
    message: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(32))
    auto_close: Mapped[bool] = mapped_column(Boolean)
    link: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[dict] = mapped_column(JSON)  # {"all": true} | {"groups": [...]} | ...
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)  # scheduled|sending|sent|...
    sent: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)  # the delivery's wall time
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class BroadcastResult(Base):
    """What became of one broadcast for one recipient."""

    __tablename__ = "labfleet_broadcast_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_broadcasts.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(255), index=True)
    delivered: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it failed, in words
    seconds: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActivityRound(Base):
    """One round of activity samples: when, and how many users were active and running."""

    __tablename__ = "labfleet_activity_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    active: Mapped[int] = mapped_column(Integer)
    running: Mapped[int] = mapped_column(Integer)


class ActivitySample(Base):
    """A user active in a round (a user of the hub absent from a round was inactive in it)."""

    __tablename__ = "labfleet_activity_samples"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_activity_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class ActivityWeight(Base):
    """A user's decayed weight of active rounds, as of the totals' ``as_of``.

    Keyed by JupyterHub's user id (the migration makes it a foreign key that deletes the
    row with the user), as the samples are.
    """

    __tablename__ = "labfleet_activity_weights"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class ActivityTotals(Base):
    """The decayed weight of every round kept (one row), and the time weights are as of."""

    __tablename__ = "labfleet_activity_totals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TemporaryUser(Base):
    """A user made by a temporary login (``/hub/tmplogin``), deleted some time after.

    Keyed by JupyterHub's user id (the migration makes it a foreign key that deletes the
    row with the user).
    """

    __tablename__ = "labfleet_temporary_users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkshopEvent(Base):
    """Something that happened in a user's server: a notebook saved (with its content), or
    an event a script posted."""

    __tablename__ = "labfleet_workshop_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    filename: Mapped[str] = mapped_column(String(255), index=True)
    path: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    size: Mapped[int | None] = mapped_column(Integer)  # the notebook's bytes, when known
    # the notebook's JSON, under the cap: loaded when asked for (undefer), not with every row
    content: Mapped[str | None] = mapped_column(Text, deferred=True)
    omitted: Mapped[str | None] = mapped_column(Text)  # why there is no content, in words
    # the error the notebook's last run ended in ("NameError: x"), and its cell
    error: Mapped[str | None] = mapped_column(Text)
    error_cell: Mapped[int | None] = mapped_column(Integer)
    has_content: Mapped[bool] = column_property(content.is_not(None))


class Material(Base):
    """Files an instructor handed out: into ``folder`` of each recipient's home."""

    __tablename__ = "labfleet_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(Text)
    recipients: Mapped[dict] = mapped_column(JSON)  # {"all": true} | {"groups": [...]} | ...
    files: Mapped[list] = mapped_column(JSON)  # [{"path", "size", "sha256"}]
    # each file's content (base64), in the order of files: read only to send them
    contents: Mapped[list] = mapped_column(JSON, deferred=True)


class MaterialResult(Base):
    """Whether handed-out material arrived in one recipient's home, file by file."""

    __tablename__ = "labfleet_material_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_material.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16))  # waiting | delivered | failed | withdrawn
    reason: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list] = mapped_column(JSON, default=list)  # [{"path", "outcome", "beside"}]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StandingMaterial(Base):
    """A hand-out that stands: whoever becomes one of its recipients later gets it when
    their server starts, until it is ``withdrawn`` (then it is kept, as a record)."""

    __tablename__ = "labfleet_standing_material"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_material.id", ondelete="CASCADE"), primary_key=True
    )
    withdrawn: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(255))


class RosterImport(Base):
    """A roster import that made users or groups; ``undone`` once an admin undid it."""

    __tablename__ = "labfleet_roster_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255))  # the file's name, or "pasted text"
    undone: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RosterImportUser(Base):
    """A user a roster import created (JupyterHub's user id: the migration makes it a
    foreign key that deletes the row with the user, and a rename keeps it)."""

    __tablename__ = "labfleet_roster_import_users"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_roster_imports.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class RosterImportGroup(Base):
    """A group a roster import created (JupyterHub's group id, deleted with the group)."""

    __tablename__ = "labfleet_roster_import_groups"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("labfleet_roster_imports.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)

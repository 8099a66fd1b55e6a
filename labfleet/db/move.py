"""``labfleet db migrate-from-sqlite``: a hub's SQLite database copied into PostgreSQL.

The target gets JupyterHub's tables and labfleet's (at their current migration), then
every row of every table in the order of their foreign keys, JupyterHub's migration
version included; each table's id sequence goes on after the copied ids, and every table
is counted on both sides. The hub must be stopped; a target that has users is refused.
"""

from __future__ import annotations

from sqlalchemy import MetaData, create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import Engine

from . import migrate

CHUNK = 1000
SKIPPED = {"labfleet_alembic_version"}  # the target's own, from its migration


class MoveError(Exception):
    """The copy cannot be made, or did not come out whole."""


def create_schema(target: Engine, source_tables: MetaData) -> MetaData:
    """JupyterHub's and labfleet's tables on ``target``, and any other table of the source."""
    from jupyterhub import orm

    orm.Base.metadata.create_all(target)
    migrate.upgrade(target)
    existing = set(inspect(target).get_table_names())
    extra = MetaData()
    for table in source_tables.sorted_tables:
        if table.name not in existing:
            table.to_metadata(extra)  # e.g. JupyterHub's alembic_version
    extra.create_all(target)
    tables = MetaData()
    tables.reflect(target)
    return tables


def copy(source_url: str, target_url: str) -> list[tuple[str, int]]:
    """Copy every row; (table, rows) for each table, verified by counting both sides."""
    source, target = create_engine(source_url), create_engine(target_url)
    if inspect(target).has_table("users"):
        with target.connect() as db:
            if db.execute(text("select count(*) from users")).scalar():
                raise MoveError(f"the target database {target.url.render_as_string()} is not empty")
    source_tables = MetaData()
    source_tables.reflect(source)
    target_tables = create_schema(target, source_tables)
    copied = []
    with source.connect() as read, target.begin() as write:
        for table in source_tables.sorted_tables:
            if table.name in SKIPPED:
                continue
            into = target_tables.tables[table.name]
            write.execute(into.delete())  # rows the schema's creation wrote (a version)
            columns = [c.name for c in table.columns if c.name in into.columns]
            result = read.execute(select(*(table.c[c] for c in columns)))
            rows = [dict(zip(columns, r, strict=True)) for r in result]
            for start in range(0, len(rows), CHUNK):
                write.execute(insert(into), rows[start : start + CHUNK])
            copied.append((table.name, len(rows)))
        for into in target_tables.sorted_tables:
            serial = "id" in into.columns and into.columns["id"].primary_key
            if serial and target.dialect.name == "postgresql":
                write.execute(
                    text(
                        f"select setval(pg_get_serial_sequence('{into.name}', 'id'), "
                        f"coalesce((select max(id) from {into.name}), 0) + 1, false)"
                    )
                )
    with target.connect() as db:
        for name, count in copied:
            found = db.execute(
                select(func.count()).select_from(target_tables.tables[name])
            ).scalar()
            if found != count:
                raise MoveError(f"{name}: {count} rows read, {found} in the target")
    return copied

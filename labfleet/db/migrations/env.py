"""Alembic environment: runs on the engine handed over by labfleet.db.migrate."""

from alembic import context

from labfleet.db.migrate import VERSION_TABLE
from labfleet.db.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()

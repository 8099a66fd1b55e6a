"""labfleet's own tables, kept in the hub's database and migrated with alembic."""

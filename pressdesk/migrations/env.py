"""Alembic environment: the models' metadata, the URL from pressdesk's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

import pressdesk.models  # noqa: F401  (loads every model onto the metadata)
from pressdesk.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _wide_version_table(connection) -> None:  # type: ignore[no-untyped-def]
    """Our revision ids are descriptive ("0002_topics_regions_embargo_audit" has 33 characters);
    Alembic's own version table holds 32, which PostgreSQL enforces. Create it wider first, and
    widen one made earlier (added on branch desk; SQLite does not enforce lengths)."""
    connection.execute(text(
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(128) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "ALTER TABLE alembic_version ALTER COLUMN version_num TYPE VARCHAR(128)"))
    connection.commit()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _wide_version_table(connection)
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

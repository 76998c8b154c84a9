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


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Alembic's own version table has VARCHAR(32); our revision ids are longer
        # ("0002_topics_regions_embargo_audit" has 33), which PostgreSQL refuses. Create it wider.
        connection.execute(text(
            "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(128) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        connection.commit()
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

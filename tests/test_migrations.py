"""The schema comes from Alembic migrations, and they match the models."""

from sqlalchemy import inspect

from pressdesk import migrate
from pressdesk.db import Base
from pressdesk.extensions import db


def test_models_and_migrations_agree(app):
    migrate.check()  # raises if autogenerate would find a difference


def test_every_table_exists(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables

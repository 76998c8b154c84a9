"""The schema comes from Alembic migrations: one initial revision, one head, no application code
imported by the migrations, and the models agree with them."""

import ast
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from pressdesk import migrate
from pressdesk.db import Base
from pressdesk.extensions import db

MIGRATIONS = Path(migrate.__file__).parent / "migrations"


def test_models_and_migrations_agree(app):
    migrate.check()  # raises if autogenerate would find a difference


def test_every_table_exists(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_exactly_one_head_and_the_database_is_at_it(app):
    heads = migrate.heads()
    assert len(heads) == 1
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() \
            == list(heads)
    # Alembic's own version table holds 32 characters: revision ids stay short.
    assert all(len(h) <= 32 for h in heads)


def test_one_initial_revision(app):
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(script.walk_revisions())
    assert [r.down_revision for r in revisions if r.down_revision is None] == [None]
    assert all(not r.is_merge_point for r in revisions)


def test_migrations_import_no_application_code():
    for path in [MIGRATIONS / "env.py", *sorted((MIGRATIONS / "versions").glob("*.py"))]:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "pressdesk" or n.startswith("pressdesk.") for n in names), path


def test_recreate_leaves_an_empty_schema_at_head(app, demo):
    assert inspect(db.engine).get_table_names()
    migrate.recreate()  # the suite's session set-up and the benchmarks start from this
    db.session.remove()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM offices").scalar() == 0
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() \
            == list(migrate.heads())
        if conn.dialect.name == "sqlite":  # the full-text table was dropped and made again
            assert conn.exec_driver_sql("SELECT count(*) FROM fts_releases").scalar() == 0
    migrate.check()

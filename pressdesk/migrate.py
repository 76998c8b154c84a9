"""Alembic, driven from the app's settings (``pressdesk db upgrade``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from pressdesk.config import settings


def alembic_config(with_metadata: bool = False) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "pressdesk:migrations")
    cfg.set_main_option("sqlalchemy.url", settings().database_url.replace("%", "%%"))
    if with_metadata:
        # Only the comparing commands need the models; an upgrade runs the revisions alone.
        import pressdesk.models  # noqa: F401  (loads every model onto the metadata)
        from pressdesk.db import Base

        cfg.attributes["target_metadata"] = Base.metadata
    return cfg


def heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def recreate() -> None:
    """Drop everything in the database, then upgrade to head: a clean schema for the test
    suite and the benchmarks (a CI database survives between runs). Destructive by design."""
    from pressdesk.extensions import db

    assert db.engine is not None
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # Virtual tables first: dropping one drops its shadow tables with it.
            for kind in ("virtual", "table"):
                names = conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'").all()
                for name, sql in names:
                    if kind == "table" or (sql or "").upper().startswith("CREATE VIRTUAL"):
                        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    upgrade()


def check() -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(with_metadata=True))


def revision(message: str) -> None:
    command.revision(alembic_config(with_metadata=True), message=message, autogenerate=True)

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


def check() -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(with_metadata=True))


def revision(message: str) -> None:
    command.revision(alembic_config(with_metadata=True), message=message, autogenerate=True)

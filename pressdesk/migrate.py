"""Alembic, driven from the app's settings (``pressdesk db upgrade``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from pressdesk.config import settings


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "pressdesk:migrations")
    cfg.set_main_option("sqlalchemy.url", settings().database_url.replace("%", "%%"))
    return cfg


def upgrade(revision: str = "heads") -> None:
    command.upgrade(alembic_config(), revision)


def check() -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config())


def revision(message: str) -> None:
    command.revision(alembic_config(), message=message, autogenerate=True)

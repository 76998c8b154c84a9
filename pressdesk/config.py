"""Configuration: embedded defaults, overridden by ``PRESSDESK_*`` environment variables.

The config is validated once at start and then frozen (a read-only mapping on ``app.config``
under the key ``PRESSDESK``); code reads it through :func:`settings`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app

PREFIX = "PRESSDESK_"


class ConfigError(ValueError):
    """Raised at start when a setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    instance_dir: str = ""
    database_url: str = ""
    broker_url: str = ""
    smtp_url: str = ""
    outbox_dir: str = ""
    base_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""
    mail_domain: str = "pressdesk.example"
    mail_from_local: str = "presse"
    platform_name: str = "pressdesk"
    # Delivery
    batch_size: int = 200
    max_attempts: int = 8
    retry_base_seconds: int = 60
    # A claim lasts this long; the worker extends it every second, so a dead worker's rows
    # return within seconds.
    claim_seconds: int = 10
    sweep_seconds: float = 10.0
    smtp_timeout: float = 30.0
    task_time_limit: int = 600
    visibility_timeout: int = 3600
    # Delivery engine
    queue: str = "celery"  # the Celery queue the desk wakes and the workers consume
    fanout_tasks: int = 2  # wake-ups per version at publish, so several processes share a big list
    auto_pause_errors: int = 50  # consecutive errors against one relay pause a version; 0 = off
    rate_limit_per_second: float = 0.0  # per relay, shared by all workers; 0 = unlimited
    # Marks wait for the database's WAL flush (PostgreSQL synchronous_commit): a database crash
    # then re-sends at most one message per worker process. False is faster but may re-send the
    # last fraction of a second of marks after a database crash (docs/delivery.md).
    durable_marks: bool = True
    # PostgreSQL: pipelined connections per task that carry the marks (several share WAL flushes).
    mark_connections: int = 2
    verp: bool = True  # return path bounce+<row token>@mail_domain, so a bounce maps to its row
    bounce_maildir: str = ""  # Maildir folder where DSN bounces arrive
    bounce_imap_url: str = ""  # imaps://user:password@host/INBOX
    bounce_seconds: float = 0.0  # when > 0 (and a mailbox is set), beat checks bounces this often
    dkim_key_file: str = ""  # PEM private key; signing is off when empty
    dkim_selector: str = "pressdesk"
    dkim_domain: str = ""  # defaults to mail_domain
    # Login throttle: at most N failures per window per account and per client address.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Password hashing (argon2id): argon2-cffi's defaults (RFC 9106 low-memory profile). The
    # test suite sets the cheapest parameters; a stored hash made with other parameters is
    # re-hashed at the next login.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Uploads
    max_upload_mb: int = 20
    max_attachment_mb: int = 10  # per attachment of a release (PDF, office documents)
    max_image_mpixels: int = 50  # larger images are refused before they are decoded
    session_cookie_secure: bool = False
    # Reverse proxies in front of the app (X-Forwarded-For/-Proto/-Host are trusted from that
    # many hops); 0 = none, the client address is the peer's. The per-client throttles key on it.
    trusted_proxies: int = 0
    testing: bool = False
    # Feeds: WebSub hub to ping and advertise; Redis URL for the rendered-feed
    # cache (else an in-process LRU); entries per feed document (20-50); Cache-Control max-age.
    websub_hub: str = ""
    feed_cache_url: str = ""
    feed_page_size: int = 30
    feed_max_age: int = 60
    # Seconds a process reuses a feed's state (its ETag) without asking the database; a publish,
    # correction or withdrawal in this process clears it at once. 0 = ask on every request.
    feed_state_ttl: float = 1.0
    # Reader alerts: confirmation link lifetime; subscribe requests per address
    # and per client address within the window.
    alert_confirm_max_age: int = 172800
    alert_max_per_address: int = 3
    alert_max_per_client: int = 10
    alert_window_seconds: int = 3600
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox_dir)

    @property
    def mail_from(self) -> str:
        return f"{self.mail_from_local}@{self.mail_domain}"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{PREFIX}{name.upper()} must be a boolean, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{name.upper()} must be an integer, got {raw!r}") from exc
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{name.upper()} must be a number, got {raw!r}") from exc
    return raw


def load_settings(instance_dir: str, overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings from defaults, then the environment, then explicit overrides."""
    values: dict[str, Any] = {}
    defaults = Settings()
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = os.environ.get(PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw, getattr(defaults, f.name))
    for key, value in (overrides or {}).items():
        values[key.lower().removeprefix("pressdesk_")] = value
    settings = replace(defaults, **values)
    inst = Path(settings.instance_dir or instance_dir)
    inst.mkdir(parents=True, exist_ok=True)
    filled: dict[str, Any] = {"instance_dir": str(inst)}
    if not settings.database_url:
        filled["database_url"] = f"sqlite:///{inst / 'pressdesk.db'}"
    if not settings.broker_url:
        filled["broker_url"] = f"sqla+sqlite:///{inst / 'broker.db'}"
    if not settings.outbox_dir:
        filled["outbox_dir"] = str(inst / "outbox")
    if not settings.secret_key:
        filled["secret_key"] = _instance_secret(inst)
    settings = replace(settings, **filled)
    validate(settings)
    return settings


def _instance_secret(inst: Path) -> str:
    """A random secret kept in the instance folder, so sessions survive restarts."""
    path = inst / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def validate(s: Settings) -> None:
    if s.argon2_time_cost < 1 or s.argon2_parallelism < 1 \
            or s.argon2_memory_kib < 8 * s.argon2_parallelism:
        raise ConfigError(f"{PREFIX}ARGON2_TIME_COST and _PARALLELISM must be at least 1, "
                          "_MEMORY_KIB at least 8 per lane")
    if "://" not in s.database_url:
        raise ConfigError(f"{PREFIX}DATABASE_URL is not a URL: {s.database_url!r}")
    if "://" not in s.broker_url:
        raise ConfigError(f"{PREFIX}BROKER_URL is not a URL: {s.broker_url!r}")
    if s.smtp_url:
        scheme = urlsplit(s.smtp_url).scheme
        if scheme not in {"smtp", "smtps", "smtp+starttls"}:
            raise ConfigError(
                f"{PREFIX}SMTP_URL must start with smtp://, smtps:// or smtp+starttls://, "
                f"got {s.smtp_url!r}"
            )
    base = urlsplit(s.base_url)
    if base.scheme not in {"http", "https"} or not base.netloc:
        raise ConfigError(f"{PREFIX}BASE_URL must be an absolute http(s) URL: {s.base_url!r}")
    if len(s.secret_key) < 16:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 16 characters")
    # A task that runs longer than the broker's visibility timeout would be handed to a second
    # worker while the first still sends: keep the hard limit well below it.
    if s.task_time_limit >= s.visibility_timeout:
        raise ConfigError(
            f"{PREFIX}TASK_TIME_LIMIT ({s.task_time_limit}s) must be below "
            f"{PREFIX}VISIBILITY_TIMEOUT ({s.visibility_timeout}s)"
        )
    if s.batch_size < 1 or s.max_attempts < 1:
        raise ConfigError("batch_size and max_attempts must be positive")
    if not 20 <= s.feed_page_size <= 50:
        raise ConfigError(f"{PREFIX}FEED_PAGE_SIZE must be between 20 and 50")
    if s.websub_hub and urlsplit(s.websub_hub).scheme not in {"http", "https"}:
        raise ConfigError(f"{PREFIX}WEBSUB_HUB must be an http(s) URL: {s.websub_hub!r}")
    if (s.rate_limit_per_second < 0 or s.auto_pause_errors < 0 or s.fanout_tasks < 1
            or s.mark_connections < 1):
        raise ConfigError("rate_limit_per_second and auto_pause_errors must not be negative, "
                          "fanout_tasks and mark_connections must be positive")
    if s.dkim_key_file and not Path(s.dkim_key_file).is_file():
        raise ConfigError(f"{PREFIX}DKIM_KEY_FILE does not exist: {s.dkim_key_file!r}")
    if s.bounce_imap_url and urlsplit(s.bounce_imap_url).scheme not in {"imap", "imaps"}:
        raise ConfigError(f"{PREFIX}BOUNCE_IMAP_URL must start with imap:// or imaps://")


def settings() -> Settings:
    """The running app's settings."""
    return cast(Settings, current_app.extensions["pressdesk.settings"])

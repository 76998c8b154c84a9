import pytest

from pressdesk.config import ConfigError, load_settings


def test_defaults_are_embedded(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "BROKER_URL", "SMTP_URL", "OUTBOX_DIR"):
        monkeypatch.delenv(f"PRESSDESK_{name}", raising=False)
    s = load_settings(str(tmp_path))
    assert s.database_url == f"sqlite:///{tmp_path / 'pressdesk.db'}"
    assert s.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    assert s.outbox_dir == str(tmp_path / "outbox")
    assert s.smtp_url == ""
    # the generated secret is kept, so sessions survive a restart
    assert load_settings(str(tmp_path)).secret_key == s.secret_key


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSDESK_DATABASE_URL", "postgresql+psycopg://u@db/press")
    monkeypatch.setenv("PRESSDESK_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.setenv("PRESSDESK_SMTP_URL", "smtps://user:pa%40ss@mail.example:465")
    monkeypatch.setenv("PRESSDESK_BATCH_SIZE", "50")
    s = load_settings(str(tmp_path))
    assert s.database_url.startswith("postgresql+psycopg://")
    assert s.broker_url == "redis://redis:6379/0"
    assert s.batch_size == 50


@pytest.mark.parametrize("env,value,fragment", [
    ("PRESSDESK_SMTP_URL", "http://mail", "SMTP_URL"),
    ("PRESSDESK_BASE_URL", "not a url", "BASE_URL"),
    ("PRESSDESK_BATCH_SIZE", "many", "BATCH_SIZE"),
    ("PRESSDESK_TASK_TIME_LIMIT", "7200", "VISIBILITY_TIMEOUT"),
])
def test_bad_settings_fail_at_start(tmp_path, monkeypatch, env, value, fragment):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings(str(tmp_path))


def test_settings_are_read_only(tmp_path):
    s = load_settings(str(tmp_path))
    with pytest.raises(AttributeError):
        s.batch_size = 3  # type: ignore[misc]


def test_argon2_costs_are_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("PRESSDESK_DATABASE_URL", raising=False)
    default = load_settings(str(tmp_path))
    # production keeps argon2-cffi's RFC 9106 profile
    assert (default.argon2_time_cost, default.argon2_memory_kib, default.argon2_parallelism) \
        == (3, 65536, 4)
    monkeypatch.setenv("PRESSDESK_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("PRESSDESK_ARGON2_MEMORY_KIB", "1024")
    assert load_settings(str(tmp_path)).argon2_memory_kib == 1024
    with pytest.raises(ConfigError, match="ARGON2"):
        load_settings(str(tmp_path), {"argon2_memory_kib": 4})


def test_passwords_hash_with_the_configured_costs_and_rehash_on_login(app, demo):
    from pressdesk.accounts.services import find_user, hash_password, verify_password
    from pressdesk.extensions import db

    assert hash_password("irrelevant").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    user = find_user("redaktion.leer@pressdesk.example")
    # a hash made with other costs (e.g. production's) still verifies, and is upgraded
    from argon2 import PasswordHasher

    user.password_hash = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1).hash("geheim-123")
    db.commit()
    assert verify_password(user, "geheim-123")
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert not verify_password(user, "falsch")


def test_settings_override_lasts_for_the_test_only(app, settings_override):
    from pressdesk.config import settings

    before = settings().feed_page_size
    assert settings_override(feed_page_size=before + 1).feed_page_size == before + 1
    assert settings().feed_page_size == before + 1


@pytest.mark.parametrize("hops,seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_client_address_from_trusted_proxies_only(tmp_path, hops, seen):
    from flask import Flask, request

    from pressdesk.app import trust_proxies

    assert load_settings(str(tmp_path), {"trusted_proxies": 2}).trusted_proxies == 2
    web = Flask("proxy-test")
    web.add_url_rule("/", "addr", lambda: request.remote_addr or "")
    trust_proxies(web, hops)
    answer = web.test_client().get("/", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.get_data(as_text=True) == seen  # the nearest proxy's view, never the client's claim

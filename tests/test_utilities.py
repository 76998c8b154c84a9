"""The shared utilities: throttle, signed tokens, paging, address normalisation, machine times."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner

from pressdesk import addresses, paging, tokens
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.text import iso_utc
from pressdesk.throttle import Throttle, ThrottleHit, client_network

# --- addresses ---------------------------------------------------------------------------------


def test_normalise_keeps_the_local_part_and_key_folds_case():
    assert addresses.normalise("  Redaktion@Emder-Zeitung.EXAMPLE ") == \
        "Redaktion@emder-zeitung.example"
    assert addresses.key("Redaktion@Emder-Zeitung.EXAMPLE") == "redaktion@emder-zeitung.example"
    with pytest.raises(addresses.InvalidAddress) as exc:
        addresses.normalise("kein-at-zeichen")
    assert exc.value.address == "kein-at-zeichen" and exc.value.reason
    assert addresses.key_or_none("a@@b") is None


def test_mailbox_strips_the_tag():
    assert addresses.mailbox("Anna+News@Example.org") == "anna@example.org"
    assert addresses.mailbox("anna+x+y@example.org") == "anna@example.org"
    assert addresses.mailbox("anna@example.org") == "anna@example.org"


# --- machine-readable times --------------------------------------------------------------------


def test_iso_utc_has_seconds_precision_and_z():
    berlin = datetime(2026, 12, 1, 10, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    assert iso_utc(berlin) == "2026-12-01T09:30:15Z"
    assert iso_utc(datetime(2026, 12, 1, 9, 0)) == "2026-12-01T09:00:00Z"  # naive is UTC
    assert iso_utc(None) == ""


def test_time_elements_carry_no_fractions(app):
    tpl = app.jinja_env.from_string('<time datetime="{{ d|iso }}">')
    assert tpl.render(d=datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == \
        '<time datetime="2026-01-02T03:04:05Z">'


# --- tokens ------------------------------------------------------------------------------------


def test_a_token_only_verifies_for_its_purpose(app):
    token = tokens.dumps(tokens.ALERT_MANAGE, [1, "abc"])
    assert tokens.loads(tokens.ALERT_MANAGE, token) == [1, "abc"]
    with pytest.raises(tokens.TokenInvalid):
        tokens.loads(tokens.ALERT_UNSUBSCRIBE, token)
    with pytest.raises(tokens.TokenInvalid):
        tokens.loads(tokens.ALERT_MANAGE, token[:-3] + "xyz")


def test_salts_are_unique():
    purposes = [v for v in vars(tokens).values() if isinstance(v, tokens.Purpose)]
    assert len(purposes) >= 4
    assert len({p.salt for p in purposes}) == len(purposes)


def test_lifetime_comes_from_the_setting(app, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 3 * 86400)
    old_confirm = tokens.dumps(tokens.ALERT_CONFIRM, 7)
    old_file = tokens.dumps(tokens.OUTLET_FILE, "img")
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    with pytest.raises(tokens.TokenExpired):
        tokens.loads(tokens.ALERT_CONFIRM, old_confirm)  # two days by default
    assert tokens.loads(tokens.OUTLET_FILE, old_file) == "img"  # no expiry


def test_many_tokens_at_once_are_the_ones_signed_one_by_one(app, monkeypatch):
    """The batch signer of per-recipient links gives itsdangerous's own tokens for outlet ids
    and long payloads alike; each verifies for its purpose only and expires as a single one."""
    real = TimestampSigner.get_timestamp
    three_days_ago = int(time.time()) - 3 * 86400  # one fixed second for both ways of signing
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: three_days_ago)
    values = [{"o": i} for i in (1, 42, 99_999, 1_234_567)] + [{"text": "Kreisstraße " * 20}]
    batch = tokens.dumps_many(tokens.OUTLET_LINK, values)
    assert batch == [tokens.dumps(tokens.OUTLET_LINK, v) for v in values]
    old_signup = tokens.dumps_many(tokens.OUTLET_SIGNUP, [{"o": 1}])[0]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    assert [tokens.loads(tokens.OUTLET_LINK, t) for t in batch] == values  # no expiry
    with pytest.raises(tokens.TokenInvalid):
        tokens.loads(tokens.OUTLET_SIGNUP, batch[0])
    with pytest.raises(tokens.TokenExpired):  # three days old, a two-day purpose
        tokens.loads(tokens.OUTLET_SIGNUP, old_signup)


# --- paging ------------------------------------------------------------------------------------


def test_page_number_is_read_from_seite_and_capped():
    assert paging.PARAM == "seite"
    assert paging.page_number({"seite": "3"}) == 3
    assert paging.page_number({"seite": "x"}) == 1
    assert paging.page_number({"seite": "-4"}) == 1
    assert paging.page_number({}) == 1
    assert paging.page_number({"seite": "99999999"}) == paging.MAX_PAGE
    assert paging.per_page({"pro_seite": "5000"}, 20) == paging.MAX_PER_PAGE


def test_page_neighbours_never_point_past_the_last_page():
    items = list(range(30))
    first = paging.of_list(items, 1, 20)
    assert (first.prev, first.next, first.pages, first.items) == (None, 2, 2, items[:20])
    second = paging.of_list(items, 2, 20)
    assert (second.prev, second.next, second.past_end) == (1, None, False)
    far = paging.of_list(items, 999, 20)
    assert far.past_end and far.items == []
    assert (far.prev, far.next) == (2, None)  # not 998
    empty = paging.of_list([], 5, 20)
    assert (empty.prev, empty.next, empty.pages) == (1, None, 1)


def test_uncounted_pages_know_only_whether_more_exists():
    page = paging.Page(items=[1, 2], number=3, per_page=2, more=True)
    assert (page.prev, page.next, page.pages) == (2, 4, None)
    last = paging.Page(items=[1], number=4, per_page=2, more=False)
    assert last.next is None and not last.past_end
    beyond = paging.Page(items=[], number=9, per_page=2)
    assert beyond.past_end and beyond.prev == 1


def test_paginate_counts_and_slices_a_query(app):
    from sqlalchemy import select

    for i in range(7):
        db.session.add(ThrottleHit(key=f"k{i}"))
    db.session.flush()
    stmt = select(ThrottleHit.key).order_by(ThrottleHit.key)
    page = paging.paginate(db.session, stmt, 2, 3)
    assert (page.items, page.total, page.pages, page.prev, page.next) == \
        (["k3", "k4", "k5"], 7, 3, 1, 3)
    cheap = paging.paginate(db.session, stmt, 3, 3, count=False)
    assert cheap.items == ["k6"] and cheap.total is None and cheap.next is None


# --- throttle ----------------------------------------------------------------------------------


def test_throttle_counts_per_key_within_the_window(app):
    t = Throttle("test", limit=2, window=60)
    t.hit("a")
    assert not t.blocked("a")
    t.hit("a")
    assert t.blocked("a") and not t.blocked("b")
    t.clear("a")
    assert not t.blocked("a")


def test_throttle_forgets_hits_older_than_the_window(app):
    t = Throttle("test", limit=1, window=60)
    t.hit("a")
    for hit in db.session.query(ThrottleHit):
        hit.at = utcnow() - timedelta(seconds=61)
    db.session.flush()
    assert not t.blocked("a")


def test_throttles_of_different_names_do_not_share_keys_and_store_no_plain_key(app):
    a, b = Throttle("one", limit=1, window=60), Throttle("two", limit=1, window=60)
    a.hit("anna@example.org")
    assert a.blocked("anna@example.org") and not b.blocked("anna@example.org")
    stored = db.session.query(ThrottleHit.key).scalar()
    assert "anna" not in stored and stored.startswith("one:")


def test_client_network_groups_ipv6_by_64():
    assert client_network("192.0.2.7") == "192.0.2.7"
    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:bbbb::9")
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_network(None) == "unknown"

"""The send loop close to the wire: pipelined marks, the claim heartbeat's own thread, dot
stuffing, and lists written in chunks after the publishing transaction.

These call the engine in the test process against SMTP servers of the test's own, with the
broker wake-ups switched off.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import select

from pressdesk.delivery import engine
from pressdesk.delivery.models import Delivery
from pressdesk.delivery.transport import _stuffed
from pressdesk.extensions import db
from tests.delivery_support import OwnSMTP, parse, publish_to, recipients, rows, states

pytestmark = pytest.mark.usefixtures("no_wakeups")


def test_the_heartbeat_thread_extends_claims_without_an_app_context(app, demo, settings_override):
    """The heartbeat runs in a thread of its own (no Flask app context there): it must still
    push the claim deadline of the rows a task holds, or a slow relay lets live claims run out."""
    settings_override(claim_seconds=3)
    version = publish_to(recipients(3))
    batch = engine.claim_batch(version.id, 10)
    db.session.remove()
    first = {r.id: r.claimed_until for r in rows(version.id)}
    with engine.Heartbeat() as heartbeat:
        heartbeat.hold(batch)
        time.sleep(2.5)
    later = {r.id: r.claimed_until for r in rows(version.id)}
    assert all(isinstance(later[i], datetime) and later[i] > first[i] for i in first), (first, later)
    assert not heartbeat.lost


def test_dot_stuffing_only_where_a_line_starts_with_a_dot():
    assert _stuffed(b"A: b\r\n\r\nplain\r\n") == b"A: b\r\n\r\nplain\r\n.\r\n"
    assert _stuffed(b"A: b\r\n\r\n.dot\r\nx\r\n..two\r\n") == b"A: b\r\n\r\n..dot\r\nx\r\n...two\r\n.\r\n"
    assert _stuffed(b".first\r\nno end") == b"..first\r\nno end\r\n.\r\n"


def test_a_body_line_starting_with_a_dot_arrives_intact(app, demo):
    with OwnSMTP() as server:
        version = publish_to(recipients(2), body="Erste Zeile\n\n.Punkt am Zeilenanfang\n\n.")
        tp = server.transport()
        assert engine.deliver_version(version.id, transport=tp) == 2
        tp.close()
        text = parse(server.handler.messages[0].data).get_body(("plain",)).get_content()
        assert ".Punkt am Zeilenanfang" in text


def test_every_mark_is_committed_when_the_task_returns(app, demo):
    """Marks travel pipelined (PostgreSQL): the task still only returns once every one of them
    is committed, and each row carries its own send time."""
    with OwnSMTP() as server:
        version = publish_to(recipients(150))
        tp = server.transport()
        assert engine.deliver_version(version.id, transport=tp) == 150
        tp.close()
    assert states(version.id) == {"sent": 150}
    got = rows(version.id)
    assert all(r.sent_at is not None and r.claimed_until is None and r.last_error == "" for r in got)
    stamps = [r.sent_at for r in got]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]


def test_a_mark_for_a_claim_taken_over_changes_nothing(app, demo):
    version = publish_to(recipients(2))
    batch = engine.claim_batch(version.id, 10)
    marks = engine.open_marks()
    try:
        stale = engine.Claimed(**{**batch[0].__dict__, "token": "0" * 32})
        marks.sent(stale)
        marks.sent(batch[1])
        marks.settle()
    finally:
        marks.close()
    db.session.remove()
    got = {r.id: r.state for r in db.session.scalars(select(Delivery).where(
        Delivery.version_id == version.id))}
    assert got == {batch[0].id: "sending", batch[1].id: "sent"}


# --- Long lists: the first rows at once, the rest in chunks ------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    from pressdesk.delivery import queue

    monkeypatch.setattr(queue, "FIRST_ROWS", 100)
    monkeypatch.setattr(queue, "CHUNK_ROWS", 250)


def _chunks(version_id: int) -> int:
    from sqlalchemy import func

    from pressdesk.delivery.models import OutboxChunk

    db.session.remove()
    return db.session.scalar(select(func.count()).where(OutboxChunk.version_id == version_id))


def test_a_long_list_commits_its_first_rows_and_chunks_then_every_recipient_once(
        app, demo, small_chunks):
    rcpts = recipients(1000)
    version = publish_to(rcpts)
    assert len(rows(version.id)) == 100 and _chunks(version.id) == 4  # 900 in 250s
    with OwnSMTP() as server:
        tp = server.transport()
        assert engine.deliver_version(version.id, transport=tp) == 1000
        tp.close()
        got = [m.rcpt_tos[0] for m in server.handler.messages]
    assert sorted(got) == sorted(r.email for r in rcpts)
    assert states(version.id) == {"sent": 1000} and _chunks(version.id) == 0
    assert len({r.message_id for r in rows(version.id)}) == 1000


def test_a_worker_dying_between_chunks_loses_and_doubles_nothing(app, demo, small_chunks,
                                                                 monkeypatch):
    from pressdesk.delivery import queue

    rcpts = recipients(1000)
    version = publish_to(rcpts)
    real = queue._write_rows
    calls = []

    def dies_in_the_second_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        written = real(*args, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # rows written, not committed
        return written

    monkeypatch.setattr(queue, "_write_rows", dies_in_the_second_chunk)
    assert queue.write_chunk(version.id) == 250
    with pytest.raises(RuntimeError):
        queue.write_chunk(version.id)
    db.rollback()
    monkeypatch.setattr(queue, "_write_rows", real)
    assert len(rows(version.id)) == 350 and _chunks(version.id) == 3
    assert engine.sweep() == [version.id]  # the sweeper finds the unfinished list
    with OwnSMTP() as server:
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
        got = [m.rcpt_tos[0] for m in server.handler.messages]
    assert sorted(got) == sorted(r.email for r in rcpts)
    assert states(version.id) == {"sent": 1000}


def test_cancelling_a_long_list_cancels_the_recipients_not_yet_written(app, demo, small_chunks):
    from pressdesk.delivery import controls

    version = publish_to(recipients(600))
    assert controls.cancel(version.id, "falscher Verteiler") == 600
    db.commit()
    assert states(version.id) == {"cancelled": 600} and _chunks(version.id) == 0


def test_suppressions_apply_to_chunked_recipients(app, demo, small_chunks):
    from pressdesk.delivery.suppressions import suppress
    from tests.helpers import office

    suppress(office("landkreis-leer").id, "Redaktion00500@zeitung.example", "550 unknown")
    db.commit()
    version = publish_to(recipients(600))
    with OwnSMTP() as server:
        tp = server.transport()
        engine.deliver_version(version.id, transport=tp)
        tp.close()
    assert states(version.id) == {"sent": 599, "suppressed": 1}


@pytest.mark.parametrize("address", [
    "redaktion@zeitung.example", "bounce+12-abcdef012345@pressdesk.example", "a.b-c_d@x.y",
    "Name <x@y.example>", "x@y.example\r\nRCPT TO:<evil@x>", "\"quoted local\"@x.example",
    "no-at-sign", "a@b@c", "<x@y.example>", "rédaction@zeitung.example", "",
])
def test_envelope_addresses_are_quoted_as_smtplib_does(address):
    import smtplib

    from pressdesk.delivery.transport import _quoted

    assert _quoted(address) == smtplib.quoteaddr(address)


def test_variants_for_a_national_list_of_70000_outlets(app, demo):
    """Choosing each outlet's variant for a list longer than a database's bind-parameter limit
    (PostgreSQL: 65,535): an IN over every id used to fail."""
    from pressdesk.delivery.queue import Recipient
    from pressdesk.media.models import Outlet
    from pressdesk.releases.variants import with_variants
    from tests.helpers import office

    leer = office("landkreis-leer")
    wants = Outlet(office_id=leer.id, name="Agentur", email="agentur@x.example", kind="agency",
                   attach_format="ninjs")
    db.session.add(wants)
    version = publish_to([])
    db.session.add(wants)
    db.commit()
    rcpts = [Recipient(f"r{i}@x.example", outlet_id=10_000_000 + i) for i in range(70_000)]
    rcpts.append(Recipient("agentur@x.example", outlet_id=wants.id))
    chosen = with_variants(version, rcpts)
    assert len(chosen) == 70_001
    assert chosen[-1].variant == "ninjs" and {r.variant for r in chosen[:-1]} == {""}


def test_the_marking_connections_are_kept_for_the_next_task(app, demo):
    if db.dialect != "postgresql":
        pytest.skip("pipelined marks are PostgreSQL's")
    with OwnSMTP() as server:
        first = publish_to(recipients(5))
        tp = server.transport()
        engine.deliver_version(first.id, transport=tp)
        kept = engine._kept_marks[engine._marks_key()]
        assert kept.idle()
        second = publish_to(recipients(5, "b.example"))
        engine.deliver_version(second.id, transport=tp)
        tp.close()
    assert engine._kept_marks[engine._marks_key()] is kept  # the same connections, second task
    assert states(first.id) == {"sent": 5} and states(second.id) == {"sent": 5}


def test_first_rows_and_chunked_rows_keep_every_recipient_field(app, demo, small_chunks):
    """COPY (PostgreSQL) and the chunks carry each recipient's own fields: its name, outlet,
    link token and unsubscribe URL."""
    rcpts = [r._replace(link_token=f"tok{i:04d}", unsubscribe_url=f"https://x.example/u/{i}")
             for i, r in enumerate(recipients(400))]
    version = publish_to(rcpts)
    from pressdesk.delivery import queue

    while queue.write_chunk(version.id) is not None:
        pass
    got = {r.email: r for r in rows(version.id)}
    assert len(got) == 400
    for i, r in enumerate(rcpts):
        row = got[r.email]
        assert (row.name, row.link_token, row.unsubscribe_url) == (
            r.name, f"tok{i:04d}", f"https://x.example/u/{i}"), i


def test_a_published_long_list_gets_each_outlets_link_token_signed_as_its_rows_are_written(
        app, demo, small_chunks):
    """The publishing transaction signs only the first rows' link tokens; the chunks carry
    none and the sender signs them as it writes the rows. Every row, first or chunked, ends
    up with its own outlet's genuine token and its one-click leave URL, every address once
    (a second address of an outlet too, the same address in other case not)."""
    from sqlalchemy import func, insert

    from pressdesk.db import utcnow
    from pressdesk.delivery import queue
    from pressdesk.media import links
    from pressdesk.media.models import DistributionList, Outlet, list_outlets
    from pressdesk.releases import services
    from tests.helpers import draft, office

    leer = office("landkreis-leer")
    dl = DistributionList(office_id=leer.id, name="Lang")
    db.session.add(dl)
    db.session.flush()
    now = utcnow()
    ids = db.session.execute(insert(Outlet).returning(Outlet.id), [
        {"office_id": leer.id, "name": f"Blatt {i:04d}", "kind": "daily",
         "email": f"blatt{i:04d}@lang.example", "region": "", "prefers_attachments": False,
         "max_attachment_kb": 10240, "active": True, "created_at": now,
         "extra_emails": (f"zweite{i:04d}@lang.example\nBLATT{i:04d}@LANG.EXAMPLE"
                          if i % 50 == 0 else "")}
        for i in range(450)]).scalars().all()
    db.session.execute(insert(list_outlets), [{"list_id": dl.id, "outlet_id": i} for i in ids])
    db.session.commit()
    version = services.publish_release(draft("landkreis-leer"), None, [dl.id])
    db.commit()
    assert 0 < _chunks(version.id)
    first = rows(version.id)
    assert len(first) == 100  # FIRST_ROWS: only these were written (and signed) at publish
    while queue.write_chunk(version.id) is not None:
        pass
    got = rows(version.id)
    assert len(got) == 450 + 9
    assert len({r.email.lower() for r in got}) == len(got)
    head, tail = links.leave_url_maker()
    for row in got:
        assert row.link_token and links.outlet_id_for(row.link_token) == row.outlet_id
        assert row.unsubscribe_url == f"{head}{row.link_token}{tail}"
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.version_id == version.id, Delivery.link_token.contains("PDLINK"))) == 0


def test_the_publish_pages_load_no_outlet_of_the_lists(app, demo):
    """The release page, the confirm page and the publish POST read the lists' names and ids:
    none of their outlets may be loaded as objects (100,000 of them took ten seconds inside
    the publishing request)."""
    from pressdesk.media.models import DistributionList, Outlet
    from pressdesk.releases import views
    from tests.helpers import office

    leer = office("landkreis-leer")
    assert db.session.scalar(select(DistributionList.id).where(
        DistributionList.office_id == leer.id))  # the demo office has lists with outlets
    db.session.remove()
    with app.test_request_context():
        lists = views._lists(leer.id)
        assert lists
        loaded = [o for o in db.session.identity_map.values() if isinstance(o, Outlet)]
        assert loaded == []
        assert lists[0].outlets is not None  # still there when asked for


def test_queueing_pauses_the_cyclic_collector_only_while_it_runs(app, demo, monkeypatch):
    import gc

    from pressdesk.delivery import queue

    seen = []
    real = queue._write_rows
    monkeypatch.setattr(queue, "_write_rows",
                        lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    publish_to(recipients(3))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        publish_to(recipients(3, "b.example"))
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()
